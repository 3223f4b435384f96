package supervisor_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// probed is a child that cannot beat: it waits for its context.
var probed = actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })

// probeTree runs one probed child "w" with probe, a deadline of 1s per call
// and a call every 2s.
func probeTree(t *testing.T, rec *supervisortest.Recorder, probe func(context.Context) error) *supervisor.Supervisor {
	return hangNew(t, "root", supervisor.WithObserver(rec),
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 100, Period: time.Minute}),
		supervisor.WithChildren(supervisor.Child{Name: "w", Actor: probed,
			Liveness: &supervisor.Liveness{Timeout: time.Second, Interval: 2 * time.Second, Probe: probe}}))
}

func TestAProbeThatReturnsAnErrorMakesTheChildHungAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		errDown := errors.New("upstream: connection refused")
		var calls, busy, most atomic.Int32
		sup := probeTree(t, rec, func(ctx context.Context) error {
			n := calls.Add(1)
			most.Store(max(most.Load(), busy.Add(1)))
			defer busy.Add(-1)
			if supervisor.Path(ctx) != "root/w" {
				t.Errorf("probe's context is not the child's: path %q", supervisor.Path(ctx))
			}
			time.Sleep(300 * time.Millisecond)
			if n == 3 {
				return errDown
			}
			return nil
		})
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		// Calls at 2s, 4s and 6s; the third fails when it returns, at 6.3s.
		hung, err := rec.WaitFor(t.Context(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventHung })
		if err != nil {
			t.Fatal(err)
		}
		if got := hung.Time.Sub(t0); got != 6300*time.Millisecond {
			t.Errorf("hung %v after the launch, want 6.3s", got)
		}
		var he *supervisor.HungError
		if !errors.As(hung.Err, &he) || !errors.Is(hung.Err, errDown) || !errors.Is(hung.Err, supervisor.ErrHung) || he.Probe != errDown {
			t.Fatalf("hung error = %v, want a *HungError wrapping the probe's error", hung.Err)
		}
		if hung.ErrText != "hung: liveness probe failed: upstream: connection refused" {
			t.Errorf("ErrText = %q", hung.ErrText)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if most.Load() != 1 {
			t.Errorf("%d probe calls ran at once, want one at a time", most.Load())
		}
		if info, _ := rsInfo(sup, "w"); info.Incarnation != 2 || info.State != supervisor.StateRunning {
			t.Errorf("after the hang: %+v, want the second incarnation running", info)
		}
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestAProbeThatPanicsOrCallsGoexitMakesTheChildHung(t *testing.T) {
	for name, probe := range map[string]func(context.Context) error{
		"panic":  func(context.Context) error { panic("probe broke") },
		"goexit": func(context.Context) error { runtime.Goexit(); return nil },
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := supervisortest.NewRecorder()
				run := supervisortest.Start(t, probeTree(t, rec, probe))
				hung, err := rec.WaitFor(t.Context(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventHung })
				if err != nil {
					t.Fatal(err)
				}
				var pe *supervisor.PanicError
				switch name {
				case "panic":
					if !errors.As(hung.Err, &pe) || pe.Value != "probe broke" {
						t.Errorf("hung error = %v, want the probe's panic", hung.Err)
					}
				case "goexit":
					if !errors.Is(hung.Err, supervisor.ErrGoexit) {
						t.Errorf("hung error = %v, want ErrGoexit", hung.Err)
					}
				}
				_ = run.Stop()
			})
		})
	}
}

func TestAProbeThatTimesOutMakesTheChildHungAtItsCallsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		var calls atomic.Int32
		// starts is written by the probe's calls and read by the test once
		// the hung event came; the event does not order them (the watcher
		// may declare the call hung before it hears the call return), so
		// a lock does.
		var mu sync.Mutex
		var starts [8]time.Time
		sup := probeTree(t, rec, func(ctx context.Context) error {
			n := calls.Add(1)
			mu.Lock()
			starts[n] = time.Now()
			mu.Unlock()
			if n == 2 {
				<-ctx.Done() // slow, but it heeds its context
				return ctx.Err()
			}
			return nil
		})
		run := supervisortest.Start(t, sup)
		hung, err := rec.WaitFor(t.Context(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventHung })
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		start2 := starts[2]
		mu.Unlock()
		if got := hung.Time.Sub(start2); got != time.Second {
			t.Errorf("hung %v after the call started, want 1s (the call's deadline runs from its start)", got)
		}
		if !strings.Contains(hung.ErrText, "did not return within 1s") {
			t.Errorf("ErrText = %q", hung.ErrText)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := rec.Count(supervisor.EventHung, ""); n != 1 {
			t.Errorf("hung %d times, want once", n)
		}
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestAProbeThatNeverReturnsIsAbandonedAndReportedStuckAtShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		release := make(chan struct{})
		var calls atomic.Int32
		sup := probeTree(t, rec, func(ctx context.Context) error {
			if calls.Add(1) == 1 {
				<-release // ignores its context
			}
			return nil
		})
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		// The call at 2s is abandoned at 3s: hung; the next incarnation
		// runs from 3s, but no call starts while the first still runs, so
		// it is hung in turn 1s later.
		time.Sleep(4500 * time.Millisecond)
		synctest.Wait()
		var at []time.Duration
		for _, e := range rec.Filter(supervisor.EventHung) {
			at = append(at, e.Time.Sub(t0))
		}
		if len(at) != 2 || at[0] != 3*time.Second || at[1] != 4*time.Second || calls.Load() != 1 {
			t.Errorf("hung at %v with %d calls, want at [3s 4s] with 1 call", at, calls.Load())
		}
		err := run.Stop()
		var stuck *supervisor.StuckError
		if !errors.As(err, &stuck) || len(stuck.Stuck) != 1 || stuck.Stuck[0].Path != "root/w/(probe)" {
			t.Fatalf("Run = %v, want the probe reported stuck as root/w/(probe)", err)
		}
		if !strings.Contains(stuck.Stuck[0].Stack, "liveness_probe_test.go") {
			t.Errorf("the stuck probe's stack does not show it:\n%s", stuck.Stuck[0].Stack)
		}
		close(release)
	})
}
