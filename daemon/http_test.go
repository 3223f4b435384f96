package daemon_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// httpRun runs daemon.Run outside a synctest bubble (real sockets) and
// returns the health server's base URL once the tree is ready.
type httpRun struct {
	sigs chan os.Signal
	done chan result
	base string
	logs *observer.ObservedLogs // the daemon's entries, Info and above
}

func startHTTP(t *testing.T, root *supervisor.Supervisor, opts ...daemon.Option) *httpRun {
	t.Helper()
	log, logs := supervisortest.ObservedLogger(zapcore.InfoLevel)
	// The daemon writes its entries from a goroutine of its own: the hook
	// says when the entry with the address has been recorded (the
	// observer's core writes before the hook runs).
	listening := make(chan struct{}, 1)
	log = log.WithOptions(zap.Hooks(func(e zapcore.Entry) error {
		if e.Message == "health server listening" {
			listening <- struct{}{}
		}
		return nil
	}))
	ready := make(chan struct{}, 1)
	n := daemon.NotifierFunc(func(state string) error {
		if state == "READY=1" {
			ready <- struct{}{}
		}
		return nil
	})
	h := &httpRun{sigs: make(chan os.Signal, 2), done: make(chan result, 1), logs: logs}
	all := append([]daemon.Option{daemon.WithSignals(h.sigs), daemon.WithNotifier(n), daemon.WithLogger(log),
		daemon.WithWatchdog(0), daemon.WithHealthAddr(":0")}, opts...)
	go func() {
		code, err := daemon.Run(context.Background(), root, all...)
		h.done <- result{code, err, time.Now()}
	}()
	select {
	case <-ready:
	case r := <-h.done:
		t.Fatalf("Run returned %d, %v before the tree was ready", r.code, r.err)
	case <-testutil.Expiry(t):
		t.Fatal("the tree did not become ready by the test binary's deadline")
	}
	testutil.Receive(t, listening, "the \"health server listening\" entry")
	e := logs.FilterMessage("health server listening").All()
	if len(e) != 1 {
		t.Fatalf("%d \"health server listening\" entries, want 1", len(e))
	}
	addr := e[0].ContextMap()["addr"].(string)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("the health server listens on %s; an address without a host must mean loopback", addr)
	}
	h.base = "http://" + addr
	return h
}

// stop sends a signal and waits for Run's result.
func (h *httpRun) stop(t *testing.T) result {
	t.Helper()
	h.sigs <- syscall.SIGTERM
	return testutil.Receive(t, h.done, "Run's return after the signal")
}

// client keeps no idle connections, so that no goroutine outlives a test.
// It has no timeout: a request that never ends is reported at the test
// binary's deadline.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func TestHealthServer(t *testing.T) {
	root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
	h := startHTTP(t, root)
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ok"},
		{"/tree", 200, "w [worker running ready"},
		{"/tree.json", 200, `"name":"w"`}, // the flat format: names, parents by id
		{"/debug/pprof/", 404, ""},        // only when asked for
	} {
		code, body := testutil.Get(t, h.base+tc.path)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s: %d %q, want %d and %q", tc.path, code, body, tc.code, tc.body)
		}
	}
	if r := h.stop(t); r.code != daemon.ExitOK {
		t.Errorf("Run = %d, %v; want 0", r.code, r.err)
	}
	if _, err := client.Get(h.base + "/healthz"); err == nil {
		t.Error("the health server still answers after Run returned")
	}
}

// The probes answer during the shutdown: alive, not ready.
func TestHealthServerDuringShutdown(t *testing.T) {
	release := make(chan struct{})
	root := newRoot(t, supervisor.WithChildren(
		supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: policy.Infinity}))
	sub, err := root.Subscribe(64)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	h := startHTTP(t, root)
	h.sigs <- syscall.SIGTERM
	for ev := range sub.Events() {
		if ev.Kind == supervisor.EventShutdown && ev.Path == "root" {
			break
		}
	}
	if code, body := testutil.Get(t, h.base+"/readyz"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz during the shutdown: %d %q, want 503, shutting down", code, body)
	}
	if code, _ := testutil.Get(t, h.base+"/healthz"); code != 200 {
		t.Errorf("/healthz during the shutdown: %d, want 200", code)
	}
	close(release)
	if r := <-h.done; r.code != daemon.ExitOK {
		t.Errorf("Run = %d, %v; want 0", r.code, r.err)
	}
}

func TestPprof(t *testing.T) {
	root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
	h := startHTTP(t, root, daemon.WithPprof(true))
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/debug/pprof/", 200, "goroutine"},
		{"/debug/pprof/goroutine?debug=1", 200, "goroutine profile:"},
		{"/debug/pprof/heap?gc=1", 200, ""},
		{"/debug/pprof/nothing", 404, "unknown profile"},
		{"/debug/pprof/goroutine?debug=x", 400, "debug"},
		{"/debug/pprof/profile?seconds=0", 400, "seconds"},
		{"/debug/pprof/profile?seconds=NaN", 400, "seconds"},
		{"/debug/pprof/trace?seconds=1e300", 400, "seconds"},
		{"/debug/pprof/profile?seconds=0.1", 200, ""},
		{"/debug/pprof/trace?seconds=0.05", 200, ""},
		{"/healthz", 200, "ok"},
	} {
		code, body := testutil.Get(t, h.base+tc.path)
		if code != tc.code || !strings.Contains(body, tc.body) || (code == 200 && body == "") {
			t.Errorf("GET %s: %d %.80q, want %d and %q", tc.path, code, body, tc.code, tc.body)
		}
	}
	resp, err := client.Post(h.base+"/debug/pprof/heap", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /debug/pprof/heap: %d, want 405", resp.StatusCode)
	}
	if r := h.stop(t); r.code != daemon.ExitOK {
		t.Errorf("Run = %d, %v; want 0", r.code, r.err)
	}
}

// An address that cannot be bound fails Run before the tree starts.
func TestHealthServerAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var started atomic.Bool
	root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
		started.Store(true)
		<-ctx.Done()
		return nil
	})}))
	log, _ := supervisortest.ObservedLogger(zapcore.InfoLevel)
	code, err := daemon.Run(context.Background(), root, daemon.WithLogger(log), daemon.WithWatchdog(0),
		daemon.WithHealthAddr(ln.Addr().String()))
	var op *net.OpError
	if code != daemon.ExitFailure || !errors.As(err, &op) {
		t.Fatalf("Run = %d, %v; want 1 and the listen error", code, err)
	}
	if started.Load() {
		t.Error("the tree started although the health server could not listen")
	}
}
