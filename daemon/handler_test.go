package daemon_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
)

// A program's own handlers are served on the daemon's server, beside the
// probes and the tree.
func TestProgramHandlersServedOnTheHealthServer(t *testing.T) {
	root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
	text := func(s string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, s) })
	}
	h := startHTTP(t, root, daemon.WithHandler("/metrics", text("arbor_children 1")),
		daemon.WithHandler("GET /version", text("v1.2.3")))
	for path, want := range map[string]string{"/metrics": "arbor_children 1", "/version": "v1.2.3", "/healthz": "ok\n"} {
		if code, body := testutil.Get(t, h.base+path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
	if r := h.stop(t); r.code != daemon.ExitOK {
		t.Errorf("Run = %d, %v; want 0", r.code, r.err)
	}
}

// A handler that would take over one of the daemon's paths, or that is
// malformed, is refused before anything starts.
func TestProgramHandlerThatTakesOverADaemonPathIsRefused(t *testing.T) {
	ok := http.NotFoundHandler()
	server := daemon.WithHealthAddr(":0")
	for _, tc := range []struct {
		name  string
		opts  []daemon.Option
		field string
	}{
		{"nil handler", []daemon.Option{server, daemon.WithHandler("/metrics", nil)}, "WithHandler"},
		{"host in the pattern", []daemon.Option{server, daemon.WithHandler("example.com/metrics", ok)}, "WithHandler"},
		{"malformed pattern", []daemon.Option{server, daemon.WithHandler("/a/{b", ok)}, "WithHandler"},
		{"twice the same", []daemon.Option{server, daemon.WithHandler("/m", ok), daemon.WithHandler("/m", ok)}, "WithHandler"},
		{"catch-all", []daemon.Option{server, daemon.WithHandler("/", ok)}, "WithHandler"},
		{"a probe", []daemon.Option{server, daemon.WithHandler("/healthz", ok)}, "WithHandler"},
		{"the tree", []daemon.Option{server, daemon.WithHandler("/tree", ok)}, "WithHandler"},
		{"the tree for GET", []daemon.Option{server, daemon.WithHandler("GET /tree.json", ok)}, "WithHandler"},
		{"the page's script", []daemon.Option{server, daemon.WithHandler("/ui/", ok)}, "WithHandler"},
		{"the events", []daemon.Option{server, daemon.WithHandler("/events", ok)}, "WithHandler"},
		{"a profile", []daemon.Option{server, daemon.WithPprof(true), daemon.WithHandler("/debug/pprof/heap", ok)}, "WithHandler"},
		{"the mutex profile", []daemon.Option{server, daemon.WithPprof(true), daemon.WithHandler("GET /debug/pprof/mutex", ok)}, "WithHandler"},
		{"no server", []daemon.Option{daemon.WithHandler("/metrics", ok)}, "WithHandler"},
		{"public debug without a server", []daemon.Option{daemon.WithPublicDebug(true)}, "WithPublicDebug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := runConfig(t, tc.opts...)
			wantConfigError(t, code, err, tc.field)
		})
	}
	// Paths the daemon does not serve are the program's, /debug/pprof/
	// included when WithPprof is off.
	for _, p := range []string{"/metrics", "POST /tree", "/debug/pprof/", "/treehouse", "/ui2"} {
		if code, err := runConfig(t, server, daemon.WithHandler(p, ok)); code != daemon.ExitOK || err != nil {
			t.Errorf("WithHandler(%q): Run = %d, %v; want 0, nil", p, code, err)
		}
	}
}
