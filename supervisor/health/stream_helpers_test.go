package health

// Helpers of the stream tests: a strict server-sent event reader, a loopback
// server, a tree runner and a stream that stalls on demand.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// patience bounds every wait of these tests, so that a bug fails a test
// instead of hanging it. It is the test binary's -timeout less a grace
// (testutil.Patience, set by TestMain), not a guess at how long the work
// takes: a busy machine makes a wait longer, never a test fail.
var patience time.Duration

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name, data string
	pings      int // comment lines before it
}

// sseReader parses a text/event-stream, strictly: one data line per event.
type sseReader struct{ r *bufio.Reader }

// next returns the next event, or the read error (io.EOF when the stream
// ended).
func (s *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	data := 0
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || data > 0 {
				return ev, nil
			}
		case strings.HasPrefix(line, ":"):
			ev.pings++
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
			if data++; data > 1 {
				return ev, fmt.Errorf("event %q has more than one data line", ev.name)
			}
		case strings.HasPrefix(line, "retry: "):
		default:
			return ev, fmt.Errorf("unexpected line %q", line)
		}
	}
}

// expectEvent reads the next event and checks its name.
func (s *sseReader) expectEvent(t *testing.T, name string) sseEvent {
	t.Helper()
	ev, err := s.next()
	if err != nil {
		t.Fatalf("reading %q: %v", name, err)
	}
	if ev.name != name {
		t.Fatalf("got event %q %s, want %q", ev.name, ev.data, name)
	}
	return ev
}

// decode unmarshals an event's data into v.
func decode(t *testing.T, ev sseEvent, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(ev.data), v); err != nil {
		t.Fatalf("event %q: %v: %s", ev.name, err, ev.data)
	}
}

// failOn runs until cancelled, and fails with each error sent on fail
// (testutil.FailOn).
func failOn(fail <-chan error) actor.Func { return testutil.FailOn(fail) }

// idle runs until cancelled (testutil.Blocker).
func idle(ctx context.Context) error { return testutil.Blocker(ctx) }

// startTree runs sup until the test ends (or stop is called) and waits for
// it to be ready.
func startTree(t *testing.T, sup *supervisor.Supervisor) (stop func() error) {
	t.Helper()
	r := supervisortest.Start(t, sup)
	ctx, cancel := testutil.Context(t)
	defer cancel()
	if err := r.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return r.Stop
}

// serveLoopback serves h on 127.0.0.1 until the test ends and returns its
// base URL.
func serveLoopback(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return "http://" + ln.Addr().String()
}

// openStream GETs url's /events and returns a reader of its events, after
// checking the headers and the opening hello.
func openStream(t *testing.T, ctx context.Context, url string) (*sseReader, helloJSON) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{}, Timeout: patience}
	t.Cleanup(client.CloseIdleConnections)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /events: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	sr := &sseReader{r: bufio.NewReader(resp.Body)}
	var hello helloJSON
	decode(t, sr.expectEvent(t, "hello"), &hello)
	return sr, hello
}

// stallAtStart returns a stream config that stalls the stream right after
// its hello, as behind a network that stopped taking data, with a channel
// closed once it stalls and a function that lets it go on.
func stallAtStart(t *testing.T, buffer int) (cfg streamConfig, stalled <-chan struct{}, release func()) {
	at, rel := make(chan struct{}), make(chan struct{})
	var once, relOnce sync.Once
	release = func() { relOnce.Do(func() { close(rel) }) }
	t.Cleanup(release)
	cfg = streamConfig{buffer: buffer, stall: func() { once.Do(func() { close(at); <-rel }) }}
	return cfg, at, release
}

// waitStalled waits for a stream to stall.
func waitStalled(t *testing.T, stalled <-chan struct{}) {
	t.Helper()
	select {
	case <-stalled:
	case <-time.After(patience):
		t.Fatal("the stream did not stall")
	}
}

// waitEvents waits for n events on sub.
func waitEvents(t *testing.T, sub *supervisor.Subscription, n int) {
	t.Helper()
	for range n {
		select {
		case <-sub.Events():
		case <-time.After(patience):
			t.Fatal("the tree did not emit its events")
		}
	}
}

// newTree is supervisortest.New for a tree named root.
func newTree(t *testing.T, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	return supervisortest.New(t, "root", opts...)
}
