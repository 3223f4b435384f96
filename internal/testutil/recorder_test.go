package testutil

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"go.uber.org/zap/zapcore"

	"github.com/arbor-go/arbor/supervisor"
)

func TestRecorder(t *testing.T) {
	var r Recorder
	var obs supervisor.Observer = &r
	events := []supervisor.Event{
		{Kind: supervisor.EventStarted, Seq: 1, Supervisor: "root", Child: "db", Path: "root/db"},
		{Kind: supervisor.EventStarted, Seq: 2, Supervisor: "root", Child: "web", Path: "root/web"},
		{Kind: supervisor.EventFailed, Seq: 3, Supervisor: "root", Child: "db", Path: "root/db", Err: errBoom},
		{Kind: supervisor.EventRestarting, Seq: 4, Supervisor: "root", Child: "db", Path: "root/db", Attempt: 1},
		{Kind: supervisor.EventStarted, Seq: 5, Supervisor: "root", Child: "db", Path: "root/db", Incarnation: 2},
		{Kind: supervisor.EventShutdown, Seq: 6, Supervisor: "root", Path: "root"},
	}
	for _, e := range events {
		obs.Observe(e)
	}

	if got := r.Events(); !slices.Equal(got, events) || r.Len() != len(events) {
		t.Fatalf("Events() = %v", got)
	}
	wantKinds := []string{
		"started root/db", "started root/web", "failed root/db",
		"restarting root/db", "started root/db", "shutdown root",
	}
	if got := r.Kinds(); !slices.Equal(got, wantKinds) {
		t.Errorf("Kinds() = %q, want %q", got, wantKinds)
	}
	if got, want := r.Kinds(supervisor.EventFailed, supervisor.EventShutdown), []string{"failed root/db", "shutdown root"}; !slices.Equal(got, want) {
		t.Errorf("Kinds(failed, shutdown) = %q, want %q", got, want)
	}
	if got := r.Filter(supervisor.EventRestarting); len(got) != 1 || got[0].Seq != 4 || got[0].Attempt != 1 {
		t.Errorf("Filter(restarting) = %v", got)
	}
	if got := r.Filter(); len(got) != len(events) {
		t.Errorf("Filter() has %d events, want all %d", len(got), len(events))
	}
	if got := r.Where(func(e supervisor.Event) bool { return errors.Is(e.Err, errBoom) }); len(got) != 1 || got[0].Seq != 3 {
		t.Errorf("Where(boom) = %v", got)
	}
	for _, c := range []struct {
		kind supervisor.EventKind
		path string
		want int
	}{
		{supervisor.EventStarted, "root/db", 2},
		{supervisor.EventStarted, "root/web", 1},
		{supervisor.EventStarted, "", 3},
		{supervisor.EventStopped, "", 0},
		{supervisor.EventFailed, "root/web", 0},
	} {
		if got := r.Count(c.kind, c.path); got != c.want {
			t.Errorf("Count(%v, %q) = %d, want %d", c.kind, c.path, got, c.want)
		}
	}
	if e, ok := r.Last(supervisor.EventStarted, "root/db"); !ok || e.Seq != 5 {
		t.Errorf("Last(started, root/db) = %v, %v", e, ok)
	}
	if e, ok := r.Last(supervisor.EventStarted, ""); !ok || e.Seq != 5 {
		t.Errorf("Last(started, \"\") = %v, %v", e, ok)
	}
	if _, ok := r.Last(supervisor.EventEscalated, ""); ok {
		t.Error("Last(escalated) found an event")
	}

	// Events returns a copy.
	r.Events()[0].Path = "changed"
	if r.Events()[0].Path != "root/db" {
		t.Error("Events() shares its backing array")
	}

	r.Reset()
	if r.Len() != 0 || len(r.Kinds()) != 0 {
		t.Errorf("after Reset: %q", r.Kinds())
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Path: "root/x"})
				_ = r.Kinds()
				_ = r.Count(supervisor.EventStarted, "root/x")
			}
		})
	}
	wg.Wait()
	if got := r.Count(supervisor.EventStarted, "root/x"); got != 800 {
		t.Fatalf("Count = %d, want 800", got)
	}
}

func TestKindPath(t *testing.T) {
	e := supervisor.Event{Kind: supervisor.EventEscalated, Path: "root"}
	if got := KindPath(e); got != "escalated root" {
		t.Fatalf("KindPath = %q", got)
	}
}

func TestObservedLogger(t *testing.T) {
	logger, logs := ObservedLogger(zapcore.WarnLevel)
	logger.Debug("routine")
	logger.Warn("failed; restarting in 2s")
	logger.Error("gave up")
	if logs.Len() != 2 {
		t.Fatalf("recorded %d entries, want 2: %v", logs.Len(), logs.All())
	}
	if n := logs.FilterMessageSnippet("restarting").Len(); n != 1 {
		t.Fatalf("FilterMessageSnippet(restarting).Len() = %d, want 1", n)
	}
	if e := logs.All()[0]; e.Caller.Defined {
		t.Errorf("logger annotates the caller: %v", e.Caller)
	}
}

// TestStart checks that Start runs the supervisor until stop, which returns
// Run's error after the run has ended.
func TestStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := NewRecorder()
		sup, err := supervisor.New("root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "b", Actor: Blocker("b", nil)}))
		if err != nil {
			t.Fatal(err)
		}
		stop := Start(sup)
		synctest.Wait()
		if rec.Count(supervisor.EventStarted, "root/b") != 1 {
			t.Fatalf("events = %v, want b started", rec.Kinds())
		}
		if err := stop(); err != nil {
			t.Fatalf("stop = %v, want nil", err)
		}
		if rec.Count(supervisor.EventStopped, "root/b") != 1 {
			t.Fatalf("events = %v, want b stopped", rec.Kinds())
		}
	})
}
