package daemon_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/internal/testutil"
)

// addrSlog is a slog.Handler that keeps every record and sends the address
// of the "health server listening" entry on addr.
type addrSlog struct {
	testutil.SlogRecorder
	addr chan string
}

func (h *addrSlog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "health server listening" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "addr" {
				h.addr <- a.Value.String()
			}
			return true
		})
	}
	return h.SlogRecorder.Handle(ctx, r)
}
func (h *addrSlog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *addrSlog) WithGroup(string) slog.Handler      { return h }

// getDropped GETs url from a handler that panics: the server drops the
// connection.
func getDropped(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET %s = %d, want the connection dropped", url, resp.StatusCode)
	}
}

// panicked reports whether one of lines is the server's report of the
// handler's panic.
func panicked(lines []string) bool {
	for _, line := range lines {
		if strings.Contains(line, "panic serving") && strings.Contains(line, "boom in a program's handler") {
			return true
		}
	}
	return false
}

var boom = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom in a program's handler") })

// The health server's own errors, such as the panic of a program's
// handler, go to the daemon's logger (slog with WithSlog, zap with
// WithLogger), like its other entries: a program that logs through slog
// only gets one stream, in one format, with nothing written beside it by
// the standard library's log package.
func TestHealthServerErrorsGoToTheDaemonsLogger(t *testing.T) {
	t.Run("slog", func(t *testing.T) {
		h := &addrSlog{addr: make(chan string, 1)}
		sigs := make(chan os.Signal, 1)
		done := make(chan int, 1)
		go func() {
			code, _ := daemon.Run(context.Background(), newRoot(t), daemon.WithSlog(slog.New(h)),
				daemon.WithHealthAddr("127.0.0.1:0"), daemon.WithHandler("/boom", boom),
				daemon.WithSignals(sigs), daemon.WithWatchdog(0), daemon.WithNotifier(&notes{}))
			done <- code
		}()
		getDropped(t, "http://"+testutil.Receive(t, h.addr, "the health server's address")+"/boom")
		sigs <- syscall.SIGTERM
		if code := testutil.Receive(t, done, "Run's return"); code != daemon.ExitOK {
			t.Fatalf("Run = %d, want 0", code)
		}
		var lines []string
		for _, r := range h.Records() {
			line := r.Level.String() + " " + r.Message
			r.Attrs(func(a slog.Attr) bool { line += " " + a.Key + "=" + a.Value.String(); return true })
			lines = append(lines, line)
		}
		if !panicked(lines) {
			t.Errorf("no entry through slog for the handler's panic; entries:\n%s", strings.Join(lines, "\n"))
		}
	})
	t.Run("zap", func(t *testing.T) {
		h := startHTTP(t, newRoot(t), daemon.WithHandler("/boom", boom))
		getDropped(t, h.base+"/boom")
		if r := h.stop(t); r.code != daemon.ExitOK {
			t.Fatalf("Run = %d, %v; want 0", r.code, r.err)
		}
		var lines []string
		for _, e := range h.logs.All() {
			lines = append(lines, fmt.Sprint(e.Level, " ", e.Message, " ", e.ContextMap()))
		}
		if !panicked(lines) {
			t.Errorf("no entry through zap for the handler's panic; entries:\n%s", strings.Join(lines, "\n"))
		}
	})
}
