package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// blockOnChannel is the frame a hung child's recorded stack must show: it
// waits on a channel nobody sends on, and on its context, so that it
// returns once the supervisor cancels it.
//
//go:noinline
func blockOnChannel(ctx context.Context, never <-chan struct{}) {
	select {
	case <-never:
	case <-ctx.Done():
	}
}

// hungAfter is an actor that beats at once and every beat, then blocks on a
// channel (returning when cancelled) from its n-th incarnation on;
// incarnations before that beat until cancelled.
type hangingActor struct {
	from   int32 // the first incarnation that hangs (1: every one)
	every  time.Duration
	runs   atomic.Int32
	causes chan error // the cause of each incarnation's end, in order
	never  chan struct{}
}

func newHanging(from int32, every time.Duration) *hangingActor {
	return &hangingActor{from: from, every: every, causes: make(chan error, 64), never: make(chan struct{})}
}

func (a *hangingActor) Run(ctx context.Context) error {
	n := a.runs.Add(1)
	actor.Beat(ctx)
	if n >= a.from {
		blockOnChannel(ctx, a.never)
	} else {
		for supervisortest.Sleep(ctx, a.every) {
			actor.Beat(ctx)
		}
	}
	a.causes <- context.Cause(ctx)
	return ctx.Err()
}

func TestAChildBlockedOnAChannelIsFoundHungAtItsDeadlineWithTheBlockingFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		a := newHanging(1, 0)
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: a, Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		synctest.Wait()

		time.Sleep(time.Second - time.Nanosecond)
		synctest.Wait()
		if n := rec.Count(supervisor.EventHung, "root/w"); n != 0 {
			t.Fatalf("found hung %d times before its deadline", n)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		hung, ok := rec.Last(supervisor.EventHung, "root/w")
		if !ok {
			t.Fatal("no hung event at the deadline")
		}
		if got := hung.Time.Sub(t0); got != time.Second {
			t.Errorf("found hung %v after the launch, want 1s (the deadline, in virtual time)", got)
		}
		var he *supervisor.HungError
		if !errors.As(hung.Err, &he) || !errors.Is(hung.Err, supervisor.ErrHung) {
			t.Fatalf("hung event's error = %v (%T), want a *HungError matching ErrHung", hung.Err, hung.Err)
		}
		if he.Path != "root/w" || he.Timeout != time.Second || he.Probe != nil {
			t.Errorf("HungError = %+v", he)
		}
		if !strings.Contains(he.Stack, "blockOnChannel") || !strings.Contains(hung.ErrText, "no beat for 1s") {
			t.Errorf("recorded stack does not show the blocking frame:\n%s\n(text %q)", he.Stack, hung.ErrText)
		}
		if cause := <-a.causes; cause != supervisor.ErrHung {
			t.Errorf("the hung incarnation's context was cancelled with %v, want ErrHung", cause)
		}
		synctest.Wait()
		supervisortest.AssertEqual(t, rec.Kinds(supervisor.EventStarted, supervisor.EventHung, supervisor.EventFailed, supervisor.EventRestarting),
			"started root/w", "hung root/w", "restarting root/w", "started root/w")
		rs, _ := rec.Last(supervisor.EventRestarting, "root/w")
		if !errors.Is(rs.Err, supervisor.ErrHung) {
			t.Errorf("restarting event's error = %v, want the hang", rs.Err)
		}
		c := sup.Counters()
		if c.Hangs != 1 || c.ExitsAbnormal != 1 || c.Errors+c.Panics+c.StartTimeouts+c.Hangs != c.ExitsAbnormal || c.Restarts != 1 {
			t.Errorf("Counters = %+v, want one hang counted once", c)
		}
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestABusyChildThatBeatsIsNeverRestarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		a := newHanging(1<<30, 999*time.Millisecond) // beats just within its deadline, forever
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: a, Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		run := supervisortest.Start(t, sup)
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := rec.Count(supervisor.EventHung, ""); n != 0 || a.runs.Load() != 1 {
			t.Errorf("a beating child was found hung %d times and ran %d times in an hour", n, a.runs.Load())
		}
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestTheDeadlineIsPausedWhileStartingInBackoffAndWaitingForTheGroup(t *testing.T) {
	t.Run("starting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// Readiness after 5s, a deadline of 1s: hung 1s after ready,
			// beats while starting notwithstanding.
			rec := supervisortest.NewRecorder()
			never := make(chan struct{})
			w := actor.Func(func(ctx context.Context) error {
				for range 5 {
					actor.Beat(ctx)
					time.Sleep(time.Second)
				}
				actor.Ready(ctx)
				blockOnChannel(ctx, never)
				return nil
			})
			sup := hangNew(t, "root", supervisor.WithObserver(rec), supervisor.WithStartTimeout(time.Minute),
				supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, WaitReady: true, Liveness: &supervisor.Liveness{Timeout: time.Second}}))
			run := supervisortest.Start(t, sup)
			synctest.Wait()
			ready, _ := rec.WaitFor(t.Context(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventReady })
			hung, _ := rec.WaitFor(t.Context(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventHung })
			if got := hung.Time.Sub(ready.Time); got != time.Second {
				t.Errorf("hung %v after readiness, want 1s", got)
			}
			_ = run.Stop()
		})
	})
	t.Run("backoff", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := supervisortest.NewRecorder()
			var runs atomic.Int32
			w := actor.Func(func(ctx context.Context) error {
				if runs.Add(1) == 1 {
					return errors.New("boom")
				}
				for {
					actor.Beat(ctx)
					if !supervisortest.Sleep(ctx, 500*time.Millisecond) {
						return nil
					}
				}
			})
			sup := hangNew(t, "root", supervisor.WithObserver(rec),
				supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w,
					Backoff:  &policy.Backoff{Initial: 10 * time.Second, Max: 10 * time.Second},
					Liveness: &supervisor.Liveness{Timeout: time.Second}}))
			run := supervisortest.Start(t, sup)
			time.Sleep(5 * time.Second)
			synctest.Wait()
			if info, _ := rsInfo(sup, "w"); info.State != supervisor.StateBackoff {
				t.Fatalf("state = %v, want backoff", info.State)
			}
			time.Sleep(time.Minute)
			synctest.Wait()
			if n := rec.Count(supervisor.EventHung, ""); n != 0 {
				t.Errorf("found hung %d times across a 10s backoff with a 1s deadline", n)
			}
			_ = run.Stop()
		})
	})
	t.Run("group", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// b fails; the group (a, b) waits out b's 10s delay with a
			// stopped: a, whose deadline is 1s, is not found hung then.
			rec := supervisortest.NewRecorder()
			a := newHanging(1<<30, 500*time.Millisecond)
			var runs atomic.Int32
			b := actor.Func(func(ctx context.Context) error {
				if runs.Add(1) == 1 {
					return errors.New("boom")
				}
				<-ctx.Done()
				return nil
			})
			sup := hangNew(t, "root", supervisor.WithObserver(rec), supervisor.WithStrategy(policy.OneForAll),
				supervisor.WithBackoff(policy.Backoff{Initial: 10 * time.Second, Max: 10 * time.Second}),
				supervisor.WithChildren(
					supervisor.Child{Name: "a", Actor: a, Liveness: &supervisor.Liveness{Timeout: time.Second}},
					supervisor.Child{Name: "b", Actor: b}))
			run := supervisortest.Start(t, sup)
			time.Sleep(5 * time.Second)
			synctest.Wait()
			if info, _ := rsInfo(sup, "a"); info.State != supervisor.StateRestarting {
				t.Fatalf("a's state during the group's delay = %v, want restarting", info.State)
			}
			time.Sleep(time.Minute)
			synctest.Wait()
			if n := rec.Count(supervisor.EventHung, ""); n != 0 || a.runs.Load() != 2 {
				t.Errorf("found hung %d times; a ran %d times (want 2: once before the group restart, once after)", n, a.runs.Load())
			}
			_ = run.Stop()
		})
	})
}

func hangNew(t *testing.T, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	sup, err := supervisor.New(name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return sup
}
