package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// MaxRestarts failures are restarted; the next one escalates, and the
// siblings are stopped newest-first with cause ErrEscalating.
func TestIntensityExactlyMaxRestarts(t *testing.T) {
	for _, strategy := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		for _, max := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%v/max_%d", strategy, max), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					log := new(rsLog)
					rec := new(rsRecorder)
					actors, specs := rsGroup(log, true, "X", "Y", "Z")
					sup := rsNew(t, "root", supervisor.WithStrategy(strategy), supervisor.WithObserver(rec),
						supervisor.WithIntensity(policy.Intensity{MaxRestarts: max, Period: 5 * time.Second}),
						supervisor.WithChildren(specs...))
					run := rsStart(t, sup)
					x := actors["X"]
					for i := 1; i <= max; i++ {
						x.fail(errRsBoom)
						if done, err := run.returned(); done {
							t.Fatalf("Run returned %v after failure %d of %d tolerated", err, i, max)
						}
						if got := x.incarnations(); got != i+1 {
							t.Fatalf("after failure %d X ran %d incarnations, want %d", i, got, i+1)
						}
					}
					n := 1 // incarnation of the bystanders when the escalation comes
					if strategy != policy.OneForOne {
						n = max + 1
					}
					mark := log.len()
					x.fail(errRsBoom)
					err := run.wait()
					rsEqual(t, "log of the escalation", log.from(mark),
						[]string{fmt.Sprintf("fail X#%d", max+1), fmt.Sprintf("stop Z#%d", n), fmt.Sprintf("stop Y#%d", n)})
					esc := rsEscalation(t, err)
					if esc.Reason != "intensity" || esc.Restarts != max || esc.Period != 5*time.Second ||
						esc.Supervisor != "root" || esc.Child != "root/X" || esc.Origin != "root/X" {
						t.Errorf("escalation %+v, want reason intensity, %d restarts in 5s, root, child and origin root/X", esc, max)
					}
					if !errors.Is(err, errRsBoom) {
						t.Errorf("errors.Is(%v, boom) = false", err)
					}
					want := map[int]string{
						0: "root gave up: 0 restarts in 5s, then root/X failed: boom",
						1: "root gave up: 1 restart in 5s, then root/X failed again: boom",
						3: "root gave up: 3 restarts in 5s, then root/X failed again: boom",
					}[max]
					if err.Error() != want {
						t.Errorf("Error() = %q, want %q", err.Error(), want)
					}
					for _, name := range []string{"Y", "Z"} {
						if got := actors[name].stopCause(n); !errors.Is(got, supervisor.ErrEscalating) {
							t.Errorf("%s#%d stopped with cause %v, want ErrEscalating", name, n, got)
						}
					}
					if got := rec.count(supervisor.EventRestarting, "X"); got != max {
						t.Errorf("%d restarting events, want %d", got, max)
					}
					if got := rec.count(supervisor.EventEscalated, ""); got != 1 {
						t.Errorf("%d escalated events, want 1", got)
					}
				})
			})
		}
	}
}

func TestIntensityUnlimitedNeverEscalates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := new(rsLog)
		w := rsNewActor(log, "W")
		sup := rsNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
		run := rsStart(t, sup)
		for range 300 {
			w.do(func(context.Context) error { return errRsBoom })
		}
		if done, err := run.returned(); done {
			t.Fatalf("Run returned %v under unlimited intensity", err)
		}
		if got := w.incarnations(); got != 301 {
			t.Errorf("W ran %d incarnations, want 301", got)
		}
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// A restart counts while now-t <= Period, recorded at the instant of the
// failure: one exactly Period old still counts, one 1ns older has expired.
func TestIntensityWindowBoundary(t *testing.T) {
	tests := []struct {
		name       string
		fourthLate time.Duration // added to the 4th failure's instant
		wantIncs   int           // incarnations run before the escalation
		wantAt     time.Duration // virtual time of the escalation
		wantCount  int           // EscalationError.Restarts: those made, not the refused one
	}{
		// Failures at 1s, 2s, 3s, then 6s: the one at 1s is exactly 5s old,
		// still in the window, so the 4th failure escalates.
		{"at_period", 0, 4, 6 * time.Second, 3},
		// 4th failure at 6s+1ns: the one at 1s has expired, so it is
		// restarted; the 5th, at once, finds 2s, 3s and 6s+1ns and escalates.
		{"past_period", time.Nanosecond, 5, 6*time.Second + time.Nanosecond, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				w := rsNewActor(new(rsLog), "W")
				sleeps := []time.Duration{time.Second, time.Second, time.Second, 3*time.Second + tt.fourthLate}
				w.onStart = func(ctx context.Context, n int) (error, bool) {
					if n <= len(sleeps) {
						time.Sleep(sleeps[n-1])
					}
					return errRsBoom, true
				}
				sup := rsNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 3, Period: 5 * time.Second}),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
				run := rsStart(t, sup)
				err := run.wait()
				at := time.Since(start)
				esc := rsEscalation(t, err)
				if got := w.incarnations(); got != tt.wantIncs {
					t.Errorf("W ran %d incarnations, want %d", got, tt.wantIncs)
				}
				if at != tt.wantAt {
					t.Errorf("escalated at %v, want %v", at, tt.wantAt)
				}
				if esc.Restarts != tt.wantCount {
					t.Errorf("escalation counts %d restarts, want %d", esc.Restarts, tt.wantCount)
				}
			})
		})
	}
}

// One failure counts once although OneForAll restarts every child: one
// restarting event, one place in the window.
func TestIntensityGroupRestartCountsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := new(rsLog)
		rec := new(rsRecorder)
		actors, specs := rsGroup(log, true, "A", "B", "C", "D")
		sup := rsNew(t, "root", supervisor.WithStrategy(policy.OneForAll), supervisor.WithObserver(rec),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 2, Period: 5 * time.Second}),
			supervisor.WithChildren(specs...))
		run := rsStart(t, sup)
		actors["A"].fail(errRsBoom)
		actors["B"].fail(errRsBoom)
		if done, err := run.returned(); done {
			t.Fatalf("Run returned %v after 2 group restarts with MaxRestarts 2", err)
		}
		if got := rec.count(supervisor.EventRestarting, ""); got != 2 {
			t.Errorf("%d restarting events for 2 failures, want 2", got)
		}
		for name, a := range actors {
			if got := a.incarnations(); got != 3 {
				t.Errorf("%s ran %d incarnations, want 3", name, got)
			}
		}
		actors["C"].fail(errRsBoom)
		esc := rsEscalation(t, run.wait())
		if esc.Restarts != 2 || esc.Child != "root/C" {
			t.Errorf("escalation %+v, want 2 restarts made before root/C's failure", esc)
		}
	})
}

// A restart attempt that fails to start counts against the intensity.
func TestIntensityFailedRestartAttemptCounts(t *testing.T) {
	for _, max := range []int{1, 2} {
		t.Run(fmt.Sprintf("max_%d", max), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				a, b := rsNewActor(log, "A"), rsNewActor(log, "B")
				a.ready = true
				a.onStart = func(_ context.Context, n int) (error, bool) {
					if n == 2 {
						return errRsOther, true // fails before Ready
					}
					return nil, false
				}
				sup := rsNew(t, "root", supervisor.WithStrategy(policy.OneForAll), supervisor.WithObserver(rec),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: max, Period: 5 * time.Second}),
					supervisor.WithChildren(supervisor.Child{Name: "A", Actor: a, WaitReady: true}, supervisor.Child{Name: "B", Actor: b}))
				run := rsStart(t, sup)
				mark := log.len()
				b.fail(errRsBoom)
				done, err := run.returned()
				if got := rec.count(supervisor.EventStartFailed, "A"); got != 1 {
					t.Errorf("%d start_failed events for A, want 1", got)
				}
				if max == 1 {
					rsEqual(t, "log", log.from(mark), []string{"fail B#1", "stop A#1", "start A#2", "fail A#2"})
					if !done {
						t.Fatal("Run still running: the failed restart attempt was not counted")
					}
					esc := rsEscalation(t, err)
					if esc.Restarts != 1 || esc.Child != "root/A" || !errors.Is(err, errRsOther) {
						t.Errorf("escalation %+v, want 1 restart made before root/A's start error", esc)
					}
					return
				}
				if done {
					t.Fatalf("Run returned %v with MaxRestarts 2 after 2 counted failures", err)
				}
				rsEqual(t, "log", log.from(mark), []string{"fail B#1", "stop A#1", "start A#2", "fail A#2", "start A#3", "start B#2"})
				if got := rec.count(supervisor.EventRestarting, ""); got != 2 {
					t.Errorf("%d restarting events, want 2 (B's failure, A's failed start)", got)
				}
				b.fail(errRsBoom) // a third failure in the window
				rsEscalation(t, run.wait())
			})
		})
	}
}

// A failure of a child already being stopped for a pending group restart is
// absorbed: one failure counted, one restart.
func TestIntensityFailureDuringGroupRestartAbsorbed(t *testing.T) {
	tests := []struct {
		name     string
		strategy policy.Strategy
		byItself bool // C fails by itself while D is being stopped; else C returns an error when stopped
		want     []string
	}{
		{"one_for_all/fails_while_pending", policy.OneForAll, true,
			[]string{"fail B#1", "fail C#1", "stop D#1", "stop A#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
		{"rest_for_one/fails_while_pending", policy.RestForOne, true,
			[]string{"fail B#1", "fail C#1", "stop D#1", "start B#2", "start C#2", "start D#2"}},
		{"one_for_all/error_when_stopped", policy.OneForAll, false,
			[]string{"fail B#1", "stop D#1", "stop C#1", "stop A#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				actors, specs := rsGroup(log, true, "A", "B", "C", "D")
				actors["D"].stopDelay = time.Second
				if !tt.byItself {
					actors["C"].stopErr = errRsOther
				}
				sup := rsNew(t, "root", supervisor.WithStrategy(tt.strategy), supervisor.WithObserver(rec),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Minute}),
					supervisor.WithChildren(specs...))
				run := rsStart(t, sup)
				mark := log.len()
				actors["B"].fail(errRsBoom) // the loop is now stopping D, which takes 1s
				if tt.byItself {
					actors["C"].fail(errRsOther)
				}
				time.Sleep(2 * time.Second)
				synctest.Wait()
				rsEqual(t, "log", log.from(mark), tt.want)
				if done, err := run.returned(); done {
					t.Fatalf("Run returned %v: the absorbed failure was counted", err)
				}
				if got := rec.count(supervisor.EventRestarting, ""); got != 1 {
					t.Errorf("%d restarting events, want 1", got)
				}
				for _, c := range sup.Children() {
					if c.State != supervisor.StateRunning || (c.Name >= "B" && c.Incarnation != 2) {
						t.Errorf("child %+v, want running (incarnation 2 from B on)", c)
					}
				}
				actors["A"].fail(errRsBoom) // the second counted failure exceeds MaxRestarts 1
				esc := rsEscalation(t, run.wait())
				if esc.Restarts != 1 {
					t.Errorf("escalation counts %d restarts, want 1 (the refused one is not counted)", esc.Restarts)
				}
			})
		})
	}
}
