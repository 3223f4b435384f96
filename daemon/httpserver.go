package daemon

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"go.uber.org/zap"
)

// healthServer is the HTTP server of WithHealthAddr. It runs outside the
// tree, so that the probes answer during the tree's whole shutdown.
type healthServer struct {
	addr   string // the address it is bound to, port 0 resolved
	srv    *http.Server
	served chan error // Serve's result; buffered
}

// startHealthServer binds addr and serves h on it; the server's own errors
// go to errLog.
func startHealthServer(addr string, h http.Handler, errLog *log.Logger) (*healthServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return serveHealth(ln, h, errLog), nil
}

// serveHealth serves h on ln until close. The server's own errors (a
// handler's panic, a failed Accept) go to errLog; nil means the log
// package's standard logger.
func serveHealth(ln net.Listener, h http.Handler, errLog *log.Logger) *healthServer {
	s := &healthServer{
		addr:   ln.Addr().String(),
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: errLog},
		served: make(chan error, 1),
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s
}

// route is a handler a program mounts with WithHandler.
type route struct {
	pattern string
	h       http.Handler
}

// Paths of supervisor/health's handler that the daemon's server reserves
// for it: the probes, served to every client, and the tree, the page and
// the events, served on loopback only unless WithPublicDebug. The
// handler's other paths (any it serves in the future) reach it through
// "/", on loopback only too. Every path under uiPrefix is reserved, not
// only those listed: the page's assets change with the page.
var (
	probePaths = []string{"/healthz", "/readyz"}
	debugPaths = []string{"/", "/tree", "/tree.json", "/ui", "/ui/", "/ui/tree.json", "/ui/page.js",
		"/ui/events.js", "/ui/spark.js", "/ui/page.css", "/ui/icon.svg", "/events"}
)

const uiPrefix = "/ui/"

// pprofPaths are the paths pprofHandler serves: its index, the CPU profile,
// the trace, and every runtime/pprof profile.
func pprofPaths() []string {
	paths := []string{"/debug/pprof/", "/debug/pprof/profile", "/debug/pprof/trace"}
	for _, p := range pprof.Profiles() {
		paths = append(paths, "/debug/pprof/"+p.Name())
	}
	return paths
}

// healthMux builds the server's routes: the probes for everyone; the tree,
// the page, the events and (withPprof) the profiles on loopback only,
// unless public; then the program's own routes, which may not take any of
// those paths over (a *supervisor.ConfigError says which).
func healthMux(root *supervisor.Supervisor, withPprof, public bool, routes []route) (http.Handler, error) {
	mux := http.NewServeMux()
	h := health.Handler(root)
	ours := map[string]bool{}
	for _, p := range probePaths {
		mux.Handle(p, h)
		ours[p] = true
	}
	mux.Handle("/", loopbackOnly(h, public)) // every other path of the handler
	ours["/"] = true
	reserved := append(append([]string(nil), probePaths...), debugPaths...)
	if withPprof {
		mux.Handle("/debug/pprof/", loopbackOnly(pprofHandler(), public))
		ours["/debug/pprof/"] = true
		reserved = append(reserved, pprofPaths()...)
	}
	for _, r := range routes {
		if _, path, found := strings.Cut(r.pattern, " "); strings.HasPrefix(strings.TrimSpace(path), uiPrefix) ||
			(!found && strings.HasPrefix(r.pattern, uiPrefix)) {
			return nil, &supervisor.ConfigError{Field: "WithHandler", Value: fmt.Sprintf("%q", r.pattern),
				Reason: "takes over the daemon's path " + uiPrefix + " (the live page and its assets)"}
		}
		if err := handle(mux, r); err != nil {
			return nil, err
		}
	}
	// A program's pattern that is more specific than one of the daemon's
	// ("GET /tree", "/ui/page.js") would take the path over, and serve it
	// to clients the daemon refuses it to: check every reserved path.
	for _, p := range reserved {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req := &http.Request{Method: method, URL: &url.URL{Path: p}, Host: "localhost"}
			if _, pattern := mux.Handler(req); !ours[pattern] {
				return nil, &supervisor.ConfigError{Field: "WithHandler", Value: fmt.Sprintf("%q", pattern),
					Reason: "takes over the daemon's path " + p}
			}
		}
	}
	return mux, nil
}

// handle mounts r on mux, turning the panic of a malformed or conflicting
// pattern into a *supervisor.ConfigError.
func handle(mux *http.ServeMux, r route) (err error) {
	bad := func(reason string) error {
		return &supervisor.ConfigError{Field: "WithHandler", Value: fmt.Sprintf("%q", r.pattern), Reason: reason}
	}
	if r.h == nil {
		return bad("has a nil handler")
	}
	// A pattern is "[METHOD ]/path": a host in it would route the
	// requests that name that host around the daemon's own routes.
	if _, path, _ := strings.Cut(r.pattern, " "); !strings.HasPrefix(r.pattern, "/") && !strings.HasPrefix(strings.TrimSpace(path), "/") {
		return bad("must be a path pattern of http.ServeMux, such as \"/metrics\" or \"GET /metrics\", with no host")
	}
	defer func() {
		if v := recover(); v != nil {
			msg := fmt.Sprint(v)
			if strings.Contains(msg, "conflicts with") { // the panic's text names this file's lines
				msg = "conflicts with a pattern already on the server (one of the daemon's, see WithHealthAddr, or one given before)"
			}
			err = bad(msg)
		}
	}()
	mux.Handle(r.pattern, r.h)
	return nil
}

// loopbackOnly serves h to the connections that arrived on a loopback
// address of this host, unless public; the others get 404. The address
// the connection arrived on (its local address) decides, never the
// client's: a client's address says nothing of the network a request
// came through (a service-mesh sidecar on the pod's own address connects
// from 127.0.0.6), while a connection that arrived on 127.0.0.1 or ::1
// came from this host.
func loopbackOnly(h http.Handler, public bool) http.Handler {
	if public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !arrivedOnLoopback(r) {
			http.Error(w, "404 page not found (served on loopback only: see daemon.WithPublicDebug)", http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// arrivedOnLoopback reports whether r came in on a connection whose local
// address is a loopback address. An unknown address is not loopback.
func arrivedOnLoopback(r *http.Request) bool {
	a, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if a == nil {
		return false
	}
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
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

// serverLog is the writer of the health server's error log: each line
// net/http writes (with a handler's panic, its stack) becomes one entry of
// the daemon's own log, at Warn, so that a program that logs through slog
// (WithSlog) or zap gets them in its one stream, and a flood of them (a
// handler that panics on every request) is bounded like the daemon's other
// entries below Error.
type serverLog struct{ log *asyncLog }

func (w serverLog) Write(b []byte) (int, error) {
	w.log.Warn("health server error", zap.String("error", strings.TrimSuffix(string(b), "\n")))
	return len(b), nil
}
