package health

// Tests of the backlog: the last events a handler keeps, to start each
// stream with the recent past. The keeper's life is checked inside synctest
// bubbles with recorded responses (a bubble ends only when every goroutine
// it started has), and with a real server for its end at Shutdown.

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// recorded returns the events of a recorded "/events" response.
func recorded(t *testing.T, body string) []sseEvent {
	t.Helper()
	sr := &sseReader{r: bufio.NewReader(strings.NewReader(body))}
	var evs []sseEvent
	for {
		ev, err := sr.next()
		if err != nil {
			return evs
		}
		evs = append(evs, ev)
	}
}

// get serves one GET of path by h, recorded.
func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// runInBubble runs sup in the current synctest bubble until the returned
// function is called, which returns Run's result.
func runInBubble(t *testing.T, sup *supervisor.Supervisor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	if err := sup.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	return func() error { cancel(); return <-done }
}

// A stream opened after the tree stopped starts with the last events the
// handler kept, oldest first, as many as its backlog holds; then it ends.
// The keeper, started by a probe while the tree ran, ended with the run.
func TestStreamStartsWithTheLastEventsKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fail := make(chan error)
		sup := newTree(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: failOn(fail)}))
		stop := runInBubble(t, sup)
		h, err := NewHandler(sup, WithBacklog(4))
		if err != nil {
			t.Fatal(err)
		}
		if rec := get(h, "/healthz"); rec.Code != http.StatusOK { // any request starts the keeper
			t.Fatalf("/healthz: %d", rec.Code)
		}
		for i := range 3 {
			fail <- errors.New("boom " + string(rune('1'+i)))
			synctest.Wait()
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		b := h.(*handler).backlog
		synctest.Wait()
		if !closed(b.done) {
			t.Fatal("the keeper still runs after the tree's run ended")
		}

		evs := recorded(t, get(h, "/events").Body.String())
		var got []string
		for _, ev := range evs {
			switch ev.name {
			case "lifecycle":
				var e eventJSON
				decode(t, ev, &e)
				got = append(got, e.Kind+" "+e.Path+" "+e.Error)
			case "hello":
				var hello helloJSON
				decode(t, ev, &hello)
				got = append(got, "hello backlog "+string(rune('0'+hello.Backlog)))
			default:
				got = append(got, ev.name+" "+ev.data)
			}
		}
		want := []string{
			"hello backlog 4",
			"restarting root/flaky boom 3", // the third failure's restart
			"started root/flaky ",
			"shutdown root ",
			"stopped root/flaky ",
			`end {"reason":"not running"}`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("stream:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// The keeper of a handler served by an http.Server ends when that server
// shuts down, though the tree runs on; the events it kept stay.
func TestBacklogKeeperEndsWhenTheServerShutsDown(t *testing.T) {
	fail := make(chan error)
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: failOn(fail)}))
	startTree(t, sup)
	h := Handler(sup)
	sub, err := sup.Subscribe(8)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b := h.(*handler).backlog
	b.mu.Lock()
	keeping, done := b.keeping, b.done
	b.mu.Unlock()
	if !keeping {
		t.Fatal("no keeper after a request while the tree runs")
	}
	fail <- errors.New("boom")
	waitEvents(t, sub, 3) // failed, restarting, started
	if err := srv.Config.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Receive(t, done, "the keeper's end after the server shut down")
	past, _ := b.snapshot()
	if len(past) > 3 {
		t.Errorf("%d events kept, want at most the 3 of the failure", len(past))
	}
}

// An event both in the backlog a stream started with and in its own
// subscription is sent once.
func TestStreamSendsAnEventOfItsBacklogOnce(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	e1 := supervisor.Event{Kind: supervisor.EventFailed, Seq: 7, Time: at, Supervisor: "root", Child: "a", Path: "root/a"}
	e2 := e1
	e2.Seq, e2.Kind = 8, supervisor.EventRestarting
	j1 := toJSON(e1)
	rec := httptest.NewRecorder()
	st := &sse{w: rec, rc: http.NewResponseController(rec), seen: map[eventKey]bool{keyOf(&j1): true}}
	st.lifecycle(e1, "root") // sent from the backlog already
	st.lifecycle(e2, "root")
	st.lifecycle(e1, "root") // a second event with the same key is not the backlog's
	if err := st.flush(); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, ev := range recorded(t, rec.Body.String()) {
		var e eventJSON
		decode(t, ev, &e)
		seqs = append(seqs, e.Seq)
	}
	if len(seqs) != 2 || seqs[0] != 8 || seqs[1] != 7 {
		t.Errorf("sent seqs %v, want [8 7]", seqs)
	}
}

// A restart's delay is sent in whole milliseconds, as a JSON integer.
func TestEventsSendTheDelayInWholeMilliseconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fail := make(chan error)
		sup := newTree(t, supervisor.WithJitter(func() float64 { return 0 }), supervisor.WithChildren(supervisor.Child{
			Name: "flaky", Actor: failOn(fail), Backoff: &policy.Backoff{Initial: 4421656339 * time.Nanosecond, Max: time.Minute},
		}))
		stop := runInBubble(t, sup)
		h := Handler(sup)
		get(h, "/healthz")
		fail <- errors.New("boom")
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		body := get(h, "/events").Body.String()
		if !strings.Contains(body, `"kind":"restarting"`) || !strings.Contains(body, `"delay_ms":4422,`) {
			t.Errorf("no restarting event with \"delay_ms\":4422 in\n%s", body)
		}
	})
}

// WithBacklog(0) keeps no events and starts no goroutine; a negative
// backlog is a configuration error.
func TestWithBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "a", Actor: failOn(nil)}))
		stop := runInBubble(t, sup)
		h, err := NewHandler(sup, WithBacklog(0))
		if err != nil {
			t.Fatal(err)
		}
		get(h, "/healthz")
		if b := h.(*handler).backlog; b != nil {
			t.Fatalf("a backlog with WithBacklog(0): %+v", b)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		evs := recorded(t, get(h, "/events").Body.String())
		if len(evs) != 2 || evs[0].name != "hello" || evs[1].name != "end" {
			t.Errorf("stream %+v, want hello and end", evs)
		}
	})
	_, err := NewHandler(newTree(t), WithBacklog(-1))
	var ce *supervisor.ConfigError
	if !errors.As(err, &ce) || ce.Field != "health.WithBacklog" {
		t.Errorf("NewHandler(WithBacklog(-1)) = %v, want a *supervisor.ConfigError for health.WithBacklog", err)
	}
}

// A stream's backlog holds every event that happened before the stream
// subscribed, even those its keeper had not copied yet: no event falls
// between the backlog and the stream's own subscription. (Checked over
// many failures: the keeper must be caught lagging at least once.)
func TestBacklogHoldsEveryEventBeforeTheSnapshot(t *testing.T) {
	fail := make(chan error)
	sup := newTree(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
		supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: failOn(fail)}))
	startTree(t, sup)
	h := Handler(sup)
	get(h, "/healthz") // the keeper subscribes before the test does: it is offered each event first
	sub, err := sup.Subscribe(8)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	b := h.(*handler).backlog
	for i := range 200 {
		fail <- errors.New("boom")
		var last supervisor.Event
		for range 3 { // failed, restarting, started
			last = testutil.Receive(t, sub.Events(), "the failure's events")
		}
		past, _ := b.snapshot()
		if n := len(past); n == 0 || past[n-1].Seq != last.Seq {
			var seqs []uint64
			for _, e := range past {
				seqs = append(seqs, e.Seq)
			}
			t.Fatalf("failure %d: the backlog holds seqs %v, want it to end at %d", i, seqs[max(0, len(seqs)-4):], last.Seq)
		}
	}
}
