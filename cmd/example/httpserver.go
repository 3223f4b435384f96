package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"go.uber.org/zap"
)

// handler serves the live tree of root ("/" and "/tree" as text,
// "/tree.json"), liveness ("/healthz") and readiness ("/readyz").
func handler(root *supervisor.Supervisor) http.Handler {
	return health.Handler(root)
}

// httpServer is the actor that serves the live tree, /healthz and /readyz.
// It is a WaitReady child: it binds its port first and calls actor.Ready
// only then, so that the supervisor starts the rest of the tree once the
// server can answer probes.
type httpServer struct {
	addr    string
	handler http.Handler
}

// Run binds the listener, reports ready, serves until ctx is cancelled and
// then shuts the server down gracefully, within the stop deadline the
// supervisor gives it.
func (h *httpServer) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		return err // before Ready: a start failure, reported with this error
	}
	srv := &http.Server{Handler: h.handler, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	log := supervisor.Logger(ctx)
	log.Info("listening", zap.String("addr", ln.Addr().String()))
	actor.Ready(ctx)

	select {
	case err := <-served: // Serve failed by itself: let the supervisor restart us
		return err
	case <-ctx.Done():
	}
	// Asked to stop: finish in-flight requests, but not past the deadline
	// the supervisor waits for (the child's shutdown timeout), keeping a
	// little margin to close what is left.
	sctx := context.Background()
	if deadline, ok := supervisor.StopDeadline(ctx); ok {
		var cancel context.CancelFunc
		sctx, cancel = context.WithDeadline(sctx, deadline.Add(-100*time.Millisecond))
		defer cancel()
	}
	if err = srv.Shutdown(sctx); err != nil {
		srv.Close() // drop the connections that did not finish in time
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	log.Debug("http server closed", zap.NamedError("shutdown", err))
	return err
}
