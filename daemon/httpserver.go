package daemon

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
)

// healthServer is the HTTP server of WithHealthAddr. It runs outside the
// tree, so that the probes answer during the tree's whole shutdown.
type healthServer struct {
	addr   string // the address it is bound to, port 0 resolved
	srv    *http.Server
	served chan error // Serve's result; buffered
}

// startHealthServer binds addr and serves root's probes and tree on it, and
// the runtime profiles too when withPprof is set.
func startHealthServer(addr string, root *supervisor.Supervisor, withPprof bool) (*healthServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := &healthServer{
		addr:   ln.Addr().String(),
		srv:    &http.Server{Handler: healthMux(root, withPprof), ReadHeaderTimeout: 5 * time.Second},
		served: make(chan error, 1),
	}
	go func() { h.served <- h.srv.Serve(ln) }()
	return h, nil
}

// healthMux routes /debug/pprof/ to the profiles when withPprof is set, and
// everything else to supervisor/health's handler.
func healthMux(root *supervisor.Supervisor, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	if withPprof {
		mux.Handle("/debug/pprof/", pprofHandler())
	}
	mux.Handle("/", health.Handler(root))
	return mux
}

// close stops the server at once and waits for Serve to return. Run calls
// it last, once the tree has stopped or is abandoned.
func (h *healthServer) close() error {
	err := h.srv.Close()
	if serr := <-h.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
