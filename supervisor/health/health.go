// Package health serves the state of a supervision tree over HTTP: the live
// tree as text or JSON, a liveness probe and a readiness probe, in the shape
// Kubernetes and load balancers expect.
//
// The handler is read-only: it never starts, stops or restarts anything.
package health

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/arbor-go/arbor/supervisor"
)

// Handler returns an http.Handler that reports on s and its tree, with the
// default limits (see NewHandler). It serves GET and HEAD (other methods
// get 405 Method Not Allowed) on these paths:
//
//   - "/" and "/tree": the live tree (Supervisor.Snapshot) as indented text
//     (Snapshot.String), text/plain; with "?format=json", as JSON.
//   - "/tree.json": the live tree as JSON, application/json: its flat form
//     (supervisor.FlatTree), one node a line, which decodes into a
//     supervisor.Snapshot or a supervisor.FlatTree.
//   - "/healthz": liveness. 200 "ok" unless a child in the tree is stuck
//     (it did not stop within its shutdown timeout and still runs); then
//     503, "stuck" and the stuck paths, one a line (at most ten, then a
//     line "... and N more"). A graceful shutdown in
//     progress is alive: restarting the process would not help it.
//   - "/readyz": readiness. 200 "ok" when s is running, past its start
//     phase, not shutting down, and every WaitReady child in the tree is
//     running and ready; otherwise 503, "not ready", the reason when s
//     itself is not ready (": starting", ": shutting down" or
//     ": not running"), then the paths of the WaitReady children that are
//     not ready, one a line (at most ten, then a line "... and N more"). Readiness turns off as soon as shutdown begins,
//     before any child is stopped (see supervisor.WithDrainDelay).
//   - "/ui": a page for a person with a browser: the tree with each node's
//     state, readiness, restarts and last error, the tree's readiness and
//     liveness, and the recent events, kept up to date live from "/events"
//     without a reload. Everything it needs is embedded and served under
//     "/ui/" (its scripts, style and icon, and "/ui/tree.json", the page's
//     view of the tree: a JSON object with "time", "health" (as
//     supervisor.Health, its lists of paths cut to their first ten, with
//     "not_ready_count" and "stuck_count") and "tree", the tree's flat form
//     as "/tree.json" serves it, within the same limits); it loads nothing
//     from elsewhere, and a Content-Security-Policy forbids it to. Names and
//     error texts are shown as text, never interpreted as markup. The page
//     shows a cut tree's left-out children as a row below their parent, a
//     group restart as one entry (the child whose failure caused it, and the
//     siblings restarted with it, from the events' origin), each child's
//     restarts of the last ten minutes as a strip it draws itself, and, once
//     nothing answers it any more, that the process has gone.
//   - "/events": the lifecycle events of s and its whole subtree as
//     server-sent events (text/event-stream): an "event: hello" first
//     ({"path": ..., "buffer": n, "backlog": b}), then the b last events
//     the handler kept (see WithBacklog), then each new one; each is an
//     "event: lifecycle" whose data is a supervisor.Event as a JSON object
//     (seq, time, kind, supervisor, child, path, incarnation, restarts,
//     error, delay_ms, attempt, dropped, sink, origin; delay_ms is the
//     delay in whole milliseconds, origin the path of the child whose
//     failure caused a group restart; error is the event's ErrText, the
//     text taken when the error was received, capped at 16 KiB: the stream
//     never calls an error's methods). Each client has a
//     bounded buffer: a client too slow to keep up loses events, never
//     slows supervision, and is told
//     how many it lost by an "event: dropped" ({"dropped": n, "total": t}).
//     The stream ends with an "event: end" ({"reason": ...}) as soon as the
//     shutdown of s begins, so that open streams do not hold up
//     http.Server.Shutdown, and it ends at once if s is not running; a
//     browser's EventSource reconnects by itself. (A server that shuts down
//     while s keeps running can end its streams itself: they also end when
//     the request's context does, so cancel the context its BaseContext
//     returns from a function given to RegisterOnShutdown.)
//
// The tree's text and JSON (the page's "/ui/tree.json" too) hold at most
// the handler's limits of nodes and depth, keeping the nodes nearest to the
// root; a request can lower them with the query parameters "max_nodes" and
// "max_depth" (positive integers; other values get 400 Bad Request), as in
// "/tree.json?max_depth=2". A cut tree says what it left out: the JSON in
// its "truncated" object and in the "children_omitted" of the nodes whose
// children it cut, the text in a line "... 3 more children not shown" below
// such a node and a last line "(truncated: ...)".
//
// Other paths get 404. Responses are not cached. Paths are matched exactly:
// to serve the handler under a prefix, strip it with http.StripPrefix.
// Handler panics if s is nil; NewHandler returns an error instead.
func Handler(s *supervisor.Supervisor) http.Handler {
	if s == nil {
		panic("health: Handler of a nil *supervisor.Supervisor")
	}
	return &handler{s: s, lim: supervisor.TreeLimits{MaxNodes: DefaultMaxNodes}, backlog: newBacklog(DefaultBacklog)}
}

type handler struct {
	s       *supervisor.Supervisor
	lim     supervisor.TreeLimits // the most the tree endpoints serve; never changed
	backlog *backlog              // the tree's last events; nil if none are kept
	// stream tunes the event streams; its zero value is the default. Set
	// before the handler serves and never changed.
	stream streamConfig
}

// ServeHTTP routes a read-only request to the tree or a probe.
func (h *handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var serve func(http.ResponseWriter, *http.Request)
	switch req.URL.Path {
	case "", "/", "/tree":
		serve = h.tree
	case "/tree.json":
		serve = h.treeJSON
	case "/healthz":
		serve = h.healthz
	case "/readyz":
		serve = h.readyz
	case "/ui":
		serve = h.page
	case "/ui/tree.json":
		serve = h.pageTree
	case "/ui/page.js", "/ui/events.js", "/ui/spark.js", "/ui/page.css", "/ui/icon.svg":
		serve = h.asset
	case "/events":
		serve = h.events
	default:
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.backlog.keep(h.s, req)
	serve(w, req)
}

func (h *handler) tree(w http.ResponseWriter, req *http.Request) {
	switch req.URL.Query().Get("format") {
	case "", "text":
		lim, ok := h.limits(w, req)
		if !ok {
			return
		}
		f := h.s.Snapshot().Flatten(lim)
		text(w, http.StatusOK, f.String()+"\n")
	case "json":
		h.treeJSON(w, req)
	default:
		http.Error(w, `unknown format: want "text" or "json"`, http.StatusBadRequest)
	}
}

func (h *handler) treeJSON(w http.ResponseWriter, req *http.Request) {
	lim, ok := h.limits(w, req)
	if !ok {
		return
	}
	body, err := h.s.Snapshot().Flatten(lim).MarshalJSON()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}

// limits returns the handler's limits, lowered by the request's max_nodes
// and max_depth; for a bad value it answers 400 and returns false.
func (h *handler) limits(w http.ResponseWriter, req *http.Request) (supervisor.TreeLimits, bool) {
	lim := h.lim
	q := req.URL.Query()
	for _, p := range []struct {
		name string
		to   *int
	}{{"max_nodes", &lim.MaxNodes}, {"max_depth", &lim.MaxDepth}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			http.Error(w, p.name+" must be a positive integer", http.StatusBadRequest)
			return lim, false
		}
		if *p.to <= 0 || n < *p.to {
			*p.to = n
		}
	}
	return lim, true
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	alive, stuck := h.s.Liveness()
	if alive {
		text(w, http.StatusOK, "ok\n")
		return
	}
	text(w, http.StatusServiceUnavailable, lines("stuck", stuck))
}

func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	hl := h.s.Health()
	if hl.Ready {
		text(w, http.StatusOK, "ok\n")
		return
	}
	head := "not ready"
	if hl.Reason != "" {
		head += ": " + hl.Reason
	}
	text(w, http.StatusServiceUnavailable, lines(head, hl.NotReady))
}

// lines returns head and paths, one a line: at most maxProblemPaths of
// them, then a line "... and N more". A path is as long as its depth: a
// list of them all would grow with the tree's size times its depth.
func lines(head string, paths []string) string {
	var b strings.Builder
	b.WriteString(head)
	b.WriteByte('\n')
	for _, p := range paths[:min(len(paths), maxProblemPaths)] {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	if more := len(paths) - maxProblemPaths; more > 0 {
		b.WriteString("... and " + strconv.Itoa(more) + " more\n")
	}
	return b.String()
}

func text(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, body)
}
