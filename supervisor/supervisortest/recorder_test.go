package supervisortest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

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

// TestWaitKind checks that WaitKind returns once enough matching events are
// recorded, counting the ones recorded before the call, and that it fails
// with the count seen when its context ends first.
func TestWaitKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRecorder()
		r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Path: "root/a"})
		ctx := context.Background()
		if err := r.WaitKind(ctx, supervisor.EventStarted, "root/a", 1); err != nil {
			t.Fatalf("already recorded: %v", err)
		}
		if err := r.WaitKind(ctx, supervisor.EventStarted, "", 0); err != nil {
			t.Fatalf("n = 0: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- r.WaitKind(ctx, supervisor.EventStarted, "root/a", 3) }()
		synctest.Wait()
		r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Path: "root/b"})
		r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Path: "root/a"})
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("returned after 2 of 3: %v", err)
		default:
		}
		r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Path: "root/a"})
		if err := <-done; err != nil {
			t.Fatalf("WaitKind = %v", err)
		}

		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		start := time.Now()
		err := r.WaitKind(tctx, supervisor.EventStopped, "root/a", 1)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Minute {
			t.Fatalf("WaitKind with a timeout = %v after %v", err, time.Since(start))
		}
		if want := `supervisortest: 0 of 1 stopped events for "root/a" recorded: context deadline exceeded`; err.Error() != want {
			t.Errorf("error text %q, want %q", err, want)
		}
	})
}

// TestWaitFor checks that WaitFor returns the oldest matching event and
// starts over after a Reset.
func TestWaitFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRecorder()
		r.Observe(supervisor.Event{Kind: supervisor.EventFailed, Path: "root/a", Seq: 1})
		r.Observe(supervisor.Event{Kind: supervisor.EventFailed, Path: "root/a", Seq: 2})
		failed := func(e supervisor.Event) bool { return e.Kind == supervisor.EventFailed }
		if e, err := r.WaitFor(context.Background(), failed); err != nil || e.Seq != 1 {
			t.Fatalf("WaitFor = %v, %v; want the event with Seq 1", e, err)
		}

		got := make(chan supervisor.Event, 1)
		go func() {
			e, err := r.WaitFor(context.Background(), func(e supervisor.Event) bool { return e.Seq == 3 })
			if err != nil {
				t.Error(err)
			}
			got <- e
		}()
		synctest.Wait()
		r.Reset()
		r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Seq: 3})
		if e := <-got; e.Kind != supervisor.EventStarted {
			t.Fatalf("WaitFor after Reset = %v", e)
		}

		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errBoom)
		if _, err := r.WaitFor(ctx, func(supervisor.Event) bool { return false }); !errors.Is(err, errBoom) {
			t.Fatalf("WaitFor with a cancelled context = %v, want its cause", err)
		}
	})
}

// TestWaitKindTree waits for the events of a real tree from outside it.
func TestWaitKindTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := NewRecorder()
		sup := New(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "db", Actor: FailN("db", nil, 2, errBoom)}))
		run := Start(t, sup)
		if err := rec.WaitKind(t.Context(), supervisor.EventStarted, "root/db", 3); err != nil {
			t.Fatal(err)
		}
		if err := run.Stop(); err != nil {
			t.Fatal(err)
		}
		rec.AssertOrder(t, "started root/db", "failed root/db", "restarting root/db",
			"started root/db", "failed root/db", "started root/db", "stopped root/db")
	})
}
