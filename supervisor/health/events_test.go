package health

// Tests of the "/events" stream over real loopback connections (outside
// synctest bubbles: real sockets would hang synctest.Wait). TestMain, with
// its leak check, is in main_test.go.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// A client receives each lifecycle event as one JSON data line, with the
// error text escaped; when it goes away, its stream ends.
func TestEventsStream(t *testing.T) {
	fail := make(chan error)
	sup := newTree(t, supervisor.WithChildren(
		supervisor.Child{Name: "api", Actor: actor.Func(idle)},
		supervisor.Child{Name: "flaky", Actor: failOn(fail)},
	))
	startTree(t, sup)
	returned := make(chan struct{})
	h := Handler(sup)
	url := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req)
		if req.URL.Path == "/events" {
			close(returned)
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sr, hello := openStream(t, ctx, url)
	if hello.Path != "root" || hello.Buffer != defaultEventBuffer {
		t.Errorf("hello = %+v", hello)
	}

	const text = "<b>boom</b> & <script>alert(1)</script>\nsecond line"
	fail <- errors.New(text)
	var kinds []string
	for len(kinds) < 3 {
		ev := sr.expectEvent(t, "lifecycle")
		if strings.ContainsAny(ev.data, "<>") {
			t.Errorf("data carries raw markup: %s", ev.data)
		}
		var e eventJSON
		decode(t, ev, &e)
		if e.Path != "root/flaky" || e.Supervisor != "root" || e.Child != "flaky" || e.Seq == 0 || e.Time.IsZero() {
			t.Errorf("event %+v", e)
		}
		if e.Kind == "failed" && (e.Error != text || e.Incarnation != 1 || e.Restarts != 0) {
			t.Errorf("failed event %+v, want error %q in incarnation 1", e, text)
		}
		if e.Kind == "started" && (e.Incarnation != 2 || e.Restarts != 1) {
			t.Errorf("started event %+v, want incarnation 2 after 1 restart", e)
		}
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); got != "failed restarting started" {
		t.Errorf("events %s, want failed restarting started", got)
	}

	cancel() // the client goes away
	select {
	case <-returned:
	case <-time.After(patience):
		t.Fatal("the stream did not end when its client went away")
	}
}

// A client that cannot keep up loses events, is told how many, and never
// slows the tree: every event reaches it or is counted as lost.
func TestEventsDropped(t *testing.T) {
	const failures = 50 // 150 events: more than a batch and a buffer
	fail := make(chan error)
	sup := newTree(t,
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
		supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: failOn(fail)}))
	startTree(t, sup)
	cfg, stalled, release := stallAtStart(t, 4)
	url := serveLoopback(t, &handler{s: sup, stream: cfg})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sr, _ := openStream(t, ctx, url)
	// The test's own subscription comes after the stream's: an event is
	// offered to the subscriptions in the order they were made, so once
	// this one has seen every event, the stream's has been offered each
	// too (subscribed first, the last event could still be on its way to
	// the stream's after the release, and arrive as a fifth event).
	all, err := sup.Subscribe(10 * failures)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()

	waitStalled(t, stalled)
	for i := range failures {
		fail <- fmt.Errorf("failure %d", i) // the tree goes on, the stream stalled
	}
	waitEvents(t, all, 3*failures)
	if all.Dropped() != 0 {
		t.Fatalf("the test's own subscription dropped %d", all.Dropped())
	}
	release()

	received, lost := 0, uint64(0)
	for received+int(lost) < 3*failures {
		ev, err := sr.next()
		if err != nil {
			t.Fatalf("after %d events and %d lost: %v", received, lost, err)
		}
		switch ev.name {
		case "lifecycle":
			received++
		case "dropped":
			var d droppedJSON
			decode(t, ev, &d)
			if d.Dropped == 0 || d.Total != lost+d.Dropped {
				t.Errorf("dropped notice %+v after %d lost", d, lost)
			}
			lost = d.Total
		default:
			t.Fatalf("unexpected event %q %s", ev.name, ev.data)
		}
	}
	if received != 4 || lost != 3*failures-4 {
		t.Errorf("received %d, lost %d; want the 4 buffered and %d lost", received, lost, 3*failures-4)
	}
}

// When the tree's shutdown begins, open streams end, so that the
// http.Server.Shutdown of a server the same tree runs returns at once
// instead of waiting for them until its deadline.
func TestEventsEndOnShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	shutdownErr := make(chan error, 1)
	httpActor := actor.Func(func(ctx context.Context) error {
		srv := &http.Server{Handler: h}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		shutdownErr <- srv.Shutdown(sctx)
		<-served
		return nil
	})
	sup := newTree(t, supervisor.WithChildren(
		supervisor.Child{Name: "http", Actor: httpActor, ShutdownTimeout: patience},
		supervisor.Child{Name: "worker", Actor: actor.Func(idle)},
	))
	h = Handler(sup)
	stop := startTree(t, sup)
	url := "http://" + ln.Addr().String()
	streams := make([]*sseReader, 3)
	for i := range streams {
		streams[i], _ = openStream(t, context.Background(), url)
	}

	runErr := make(chan error, 1)
	go func() { runErr <- stop() }()
	for i, sr := range streams {
		var end endJSON
		for {
			ev, err := sr.next()
			if err != nil {
				t.Fatalf("stream %d: %v before its end event", i, err)
			}
			if ev.name == "end" {
				decode(t, ev, &end)
				break
			}
		}
		if end.Reason != supervisor.ReasonShuttingDown {
			t.Errorf("stream %d ended: %q, want %q", i, end.Reason, supervisor.ReasonShuttingDown)
		}
		if ev, err := sr.next(); err != io.EOF {
			t.Errorf("stream %d after its end: %v %v, want EOF", i, ev, err)
		}
	}
	if err := <-shutdownErr; err != nil {
		t.Errorf("http.Server.Shutdown = %v, want nil: streams held it up", err)
	}
	if err := <-runErr; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// A stream of a tree that is not running says so and ends at once.
func TestEventsNotRunning(t *testing.T) {
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(idle)}))
	rec := httptest.NewRecorder()
	Handler(sup).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/events", nil))
	sr := &sseReader{r: bufio.NewReader(rec.Body)}
	sr.expectEvent(t, "hello")
	var end endJSON
	decode(t, sr.expectEvent(t, "end"), &end)
	if end.Reason != supervisor.ReasonNotRunning {
		t.Errorf("end %+v, want %q", end, supervisor.ReasonNotRunning)
	}
	if _, err := sr.next(); err != io.EOF {
		t.Errorf("after end: %v, want EOF", err)
	}
	if !rec.Flushed {
		t.Error("the stream was not flushed")
	}
}

// A stream whose client lost the shutdown event (its buffer was full)
// still ends: a dropped notice makes it look at the tree.
func TestEventsEndAfterDrop(t *testing.T) {
	fail := make(chan error)
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: failOn(fail)}))
	stop := startTree(t, sup)
	cfg, stalled, release := stallAtStart(t, 1)
	url := serveLoopback(t, &handler{s: sup, stream: cfg})
	sr, _ := openStream(t, context.Background(), url)
	waitStalled(t, stalled)
	all, err := sup.Subscribe(16)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	fail <- errors.New("boom") // failed fills the buffer; restarting and started are lost
	waitEvents(t, all, 3)
	if err := stop(); err != nil {
		t.Fatal(err) // its shutdown and stopped events are lost too
	}
	release()
	var names []string
	for {
		ev, err := sr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ev.name)
		switch ev.name {
		case "lifecycle":
			var e eventJSON
			decode(t, ev, &e)
			if e.Kind != "failed" {
				t.Errorf("event %+v, want the failure", e)
			}
		case "dropped":
			var d droppedJSON
			decode(t, ev, &d)
			if d.Dropped != 4 || d.Total != 4 {
				t.Errorf("dropped %+v, want 4", d)
			}
		case "end":
			var end endJSON
			decode(t, ev, &end)
			if end.Reason != supervisor.ReasonNotRunning {
				t.Errorf("end %+v, want %q", end, supervisor.ReasonNotRunning)
			}
		}
	}
	if got := strings.Join(names, " "); got != "lifecycle dropped end" {
		t.Errorf("events %s, want lifecycle dropped end", got)
	}
}

// An idle stream sends heartbeat comments.
func TestEventsHeartbeat(t *testing.T) {
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(idle)}))
	stop := startTree(t, sup)
	h := &handler{s: sup, stream: streamConfig{heartbeat: time.Millisecond}}
	url := serveLoopback(t, h)
	sr, _ := openStream(t, context.Background(), url)
	for {
		line, err := sr.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": ping\n" {
			break
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := sr.next()
		if err != nil {
			t.Fatalf("%v before the end event", err)
		}
		if ev.name == "end" {
			break
		}
	}
}

// capText caps long texts at a rune boundary.
func TestErrorTextCappedAtRuneBoundary(t *testing.T) {
	if got := capText(""); got != "" {
		t.Errorf("capText(\"\") = %q", got)
	}
	long := strings.Repeat("é", maxErrorText) // 2 bytes a rune
	got := capText("x" + long)
	if len(got) > maxErrorText+len("…") || !strings.HasSuffix(got, "…") || !utf8Valid(got) {
		t.Errorf("capText(long): %d bytes, suffix %q", len(got), got[len(got)-8:])
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// A server that shuts down while the tree keeps running ends its streams by
// cancelling its base context, as the Handler's doc suggests.
func TestEventsEndOnServerShutdown(t *testing.T) {
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(idle)}))
	startTree(t, sup)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{Handler: Handler(sup), BaseContext: func(net.Listener) context.Context { return base }}
	srv.RegisterOnShutdown(cancelBase)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	sr, _ := openStream(t, context.Background(), "http://"+ln.Addr().String())

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v: the stream held it up", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve = %v", err)
	}
	if ev, err := sr.next(); err == nil {
		t.Errorf("after Shutdown: %+v, want the stream's end", ev)
	}
}
