package supervisortest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// TestStart checks that Start runs the supervisor until Stop, which returns
// Run's error after the run has ended, and that Stop may be called again.
func TestStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := NewRecorder()
		sup := New(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "b", Actor: Blocker("b", nil)}))
		run := Start(t, sup)
		if run.Supervisor() != sup {
			t.Fatal("Supervisor() is not the one started")
		}
		synctest.Wait()
		if rec.Count(supervisor.EventStarted, "root/b") != 1 {
			t.Fatalf("events = %v, want b started", rec.Kinds())
		}
		if ok, err := run.Returned(); ok || err != nil {
			t.Fatalf("Returned() = %v, %v while running", ok, err)
		}
		if err := run.Stop(); err != nil {
			t.Fatalf("Stop = %v, want nil", err)
		}
		if rec.Count(supervisor.EventStopped, "root/b") != 1 {
			t.Fatalf("events = %v, want b stopped", rec.Kinds())
		}
		if err := run.Stop(); err != nil {
			t.Fatalf("second Stop = %v", err)
		}
		if ok, err := run.Returned(); !ok || err != nil {
			t.Fatalf("Returned() = %v, %v after Stop", ok, err)
		}
	})
}

// TestStartCleanup checks that the cleanup Start registers stops the tree:
// the bubble would report goroutines left blocked otherwise.
func TestStartCleanup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := Blocker("b", nil)
		Start(t, New(t, "root", supervisor.WithChildren(supervisor.Child{Name: "b", Actor: s})))
		synctest.Wait()
		if s.Live() != 1 {
			t.Fatalf("live = %d, want 1", s.Live())
		}
	})

	// With another TB, such as *rapid.T, the cleanup goes through its Cleanup.
	synctest.Test(t, func(t *testing.T) {
		var f fakeTB
		s := Blocker("b", nil)
		run := Start(&f, New(&f, "root", supervisor.WithChildren(supervisor.Child{Name: "b", Actor: s})))
		synctest.Wait()
		if len(f.cleanups) != 1 {
			t.Fatalf("%d cleanups registered, want 1", len(f.cleanups))
		}
		f.cleanup()
		if ok, err := run.Returned(); !ok || err != nil || s.Live() != 0 {
			t.Fatalf("after cleanup: returned %v, %v; live %d", ok, err, s.Live())
		}
	})
}

// TestRunningReturnsByItself checks Wait, Done and Returned on a run that
// ends with an escalation.
func TestRunningReturnsByItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := New(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "x", Actor: Failer("x", nil, errBoom)}))
		run := Start(t, sup)
		<-run.Done()
		var esc *supervisor.EscalationError
		if err := run.Wait(); !errors.As(err, &esc) || !errors.Is(err, errBoom) {
			t.Fatalf("Wait = %v, want an escalation wrapping boom", err)
		}
		if ok, err := run.Returned(); !ok || !errors.As(err, &esc) {
			t.Fatalf("Returned = %v, %v", ok, err)
		}
		if err := run.Stop(); !errors.As(err, &esc) {
			t.Fatalf("Stop after the run ended = %v", err)
		}
	})
}

// TestRunningWaitReady runs outside a bubble, as a test with real sockets
// must, and waits for readiness instead of calling synctest.Wait.
func TestRunningWaitReady(t *testing.T) {
	ctx, cancel := testutil.Context(t)
	defer cancel()
	log := NewLog()
	sup := New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "a", Actor: Blocker("a", log), WaitReady: true},
		supervisor.Child{Name: "b", Actor: Blocker("b", log), WaitReady: true}))
	run := Start(t, sup)
	if err := run.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady = %v", err)
	}
	if ready, _ := sup.Readiness(); !ready || !slices.Equal(log.Entries(), []string{"start a#1", "start b#1"}) {
		t.Fatalf("ready %v, log %q", ready, log.Entries())
	}
	if err := run.Stop(); err != nil {
		t.Fatal(err)
	}
	AssertEqual(t, log.From(2), "stop b#1", "stop a#1")

	// A tree that fails to start: WaitReady returns Run's error.
	bad := New(t, "bad", supervisor.WithChildren(supervisor.Child{Name: "x", Actor: Failer("x", nil, errBoom), WaitReady: true}))
	err := Start(t, bad).WaitReady(ctx)
	var se *supervisor.StartError
	if !errors.As(err, &se) || !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "returned before it was ready") {
		t.Fatalf("WaitReady on a failed start = %v", err)
	}

	// A context that ends first.
	slow := New(t, "slow", supervisor.WithChildren(supervisor.Child{Name: "x", Actor: ReadyAfter("x", nil, time.Hour), WaitReady: true}))
	short, stop := context.WithCancel(ctx)
	stop()
	if err := Start(t, slow).WaitReady(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitReady with a cancelled context = %v", err)
	}
}

func TestNew(t *testing.T) {
	var f fakeTB
	if s := New(&f, "root"); s == nil || len(f.errors) != 0 {
		t.Fatalf("New = %v, %q", s, f.errors)
	}
	New(&f, "a/b")
	if !f.fatal || len(f.errors) != 1 || !strings.Contains(f.errors[0], `supervisor.New("a/b")`) {
		t.Fatalf("New with a bad name: fatal %v, %q", f.fatal, f.errors)
	}
}

func TestChildren(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := New(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: Blocker("a", nil)},
			supervisor.Child{Name: "b", Actor: Blocker("b", nil)}))
		if _, ok := ChildNamed(sup, "a"); ok {
			t.Fatal("ChildNamed found a child before Run")
		}
		Start(t, sup)
		synctest.Wait()
		AssertEqual(t, Names(sup.Children()), "a", "b")
		if c, ok := ChildNamed(sup, "b"); !ok || c.Path != "root/b" || c.State != supervisor.StateRunning {
			t.Fatalf("ChildNamed(b) = %+v, %v", c, ok)
		}
		if _, ok := ChildNamed(sup, "c"); ok {
			t.Fatal("ChildNamed found c")
		}
	})
}
