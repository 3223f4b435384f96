package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// rsFailFirst returns an onStart that fails incarnations 1..n at once, after
// running for runFor[i-1] (virtual time) if given.
func rsFailFirst(n int, runFor ...time.Duration) func(context.Context, int) (error, bool) {
	return func(_ context.Context, i int) (error, bool) {
		if i > n {
			return nil, false
		}
		if i <= len(runFor) {
			time.Sleep(runFor[i-1])
		}
		return errRsBoom, true
	}
}

// rsGaps returns the gaps between consecutive times.
func rsGaps(ts []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]))
	}
	return out
}

func rsSeconds(fs ...float64) []time.Duration {
	out := make([]time.Duration, len(fs))
	for i, f := range fs {
		out[i] = time.Duration(f * float64(time.Second))
	}
	return out
}

func TestBackoffDelays(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64 // Backoff.Jitter
		r      float64 // what the jitter source returns
		want   []time.Duration
	}{
		{"no_jitter", 0, 0, rsSeconds(1, 2, 4, 8, 10, 10)},
		{"jitter_half", 1, 0.5, rsSeconds(1.5, 3, 6, 12, 15, 15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := new(rsRecorder)
				w := rsNewActor(new(rsLog), "W")
				w.onStart = rsFailFirst(6)
				sup := rsNew(t, "root", supervisor.WithObserver(rec),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
					supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Multiplier: 2, Max: 10 * time.Second, Jitter: tt.jitter}),
					supervisor.WithJitter(func() float64 { return tt.r }),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
				run := rsStart(t, sup)
				time.Sleep(time.Hour)
				rsEqual(t, "gaps between starts", rsGaps(w.startTimes()), tt.want)
				var delays []time.Duration
				var attempts []int
				for _, e := range rec.of(supervisor.EventRestarting, "W") {
					delays, attempts = append(delays, e.Delay), append(attempts, e.Attempt)
				}
				rsEqual(t, "restarting delays", delays, tt.want)
				rsEqual(t, "restarting attempts", attempts, []int{1, 2, 3, 4, 5, 6})
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// The consecutive count resets once an incarnation has run ResetAfter.
func TestBackoffResetAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := new(rsRecorder)
		w := rsNewActor(new(rsLog), "W")
		w.onStart = rsFailFirst(6, 0, 0, 0, 5*time.Second, 0, 5*time.Second-time.Nanosecond)
		sup := rsNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: 10 * time.Second, ResetAfter: 5 * time.Second}),
			supervisor.WithJitter(func() float64 { return 0 }),
			supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
		run := rsStart(t, sup)
		time.Sleep(time.Hour)
		var delays []time.Duration
		for _, e := range rec.of(supervisor.EventRestarting, "W") {
			delays = append(delays, e.Delay)
		}
		rsEqual(t, "restarting delays", delays, rsSeconds(1, 2, 4, 1, 2, 4))
		rsEqual(t, "gaps between starts", rsGaps(w.startTimes()),
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 6 * time.Second, 2 * time.Second, 9*time.Second - time.Nanosecond})
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// MaxAttempts restarts are made; the failure after them escalates.
func TestBackoffMaxAttemptsEscalates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		w := rsNewActor(new(rsLog), "W")
		w.onStart = rsFailAtOnce(errRsBoom)
		sup := rsNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: 10 * time.Second, MaxAttempts: 3}),
			supervisor.WithJitter(func() float64 { return 0 }),
			supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
		run := rsStart(t, sup)
		err := run.wait()
		esc := rsEscalation(t, err)
		if esc.Reason != "backoff" || esc.Restarts != 3 || !errors.Is(err, errRsBoom) {
			t.Errorf("escalation %+v, want reason backoff after 3 restarts, wrapping boom", esc)
		}
		if want := "root gave up: 3 consecutive restarts, then root/W failed again: boom"; err.Error() != want {
			t.Errorf("Error() = %q, want %q", err.Error(), want)
		}
		if got := w.incarnations(); got != 4 {
			t.Errorf("W ran %d incarnations, want 4", got)
		}
		if got := time.Since(start); got != 7*time.Second {
			t.Errorf("escalated after %v, want 7s (delays 1s, 2s, 4s)", got)
		}
	})
}

// A child's own Backoff replaces the supervisor's, a zero one too.
func TestBackoffPerChildOverride(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		log := new(rsLog)
		a, b, c := rsNewActor(log, "A"), rsNewActor(log, "B"), rsNewActor(log, "C")
		for _, x := range []*rsActor{a, b, c} {
			x.onStart = rsFailFirst(1)
		}
		sup := rsNew(t, "root",
			supervisor.WithBackoff(policy.Backoff{Initial: 5 * time.Second}),
			supervisor.WithJitter(func() float64 { return 0 }),
			supervisor.WithChildren(
				supervisor.Child{Name: "A", Actor: a, Backoff: &policy.Backoff{Initial: time.Second}},
				supervisor.Child{Name: "B", Actor: b, Backoff: &policy.Backoff{}},
				supervisor.Child{Name: "C", Actor: c},
			))
		run := rsStart(t, sup)
		time.Sleep(time.Minute)
		for _, tc := range []struct {
			x    *rsActor
			want time.Duration
		}{{a, time.Second}, {b, 0}, {c, 5 * time.Second}} {
			ts := tc.x.startTimes()
			if len(ts) != 2 || ts[1].Sub(start) != tc.want {
				t.Errorf("%s started at %v, want a second start at %v", tc.x.name, rsGaps(append([]time.Time{start}, ts...)), tc.want)
			}
		}
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// During its delay a child is in state backoff; Remove, a manual Restart
// and shutdown cut the delay short.
func TestBackoffInterrupted(t *testing.T) {
	for _, strategy := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		for _, how := range []string{"remove", "restart", "cancel"} {
			t.Run(strategy.String()+"/"+how, func(t *testing.T) {
				// A real-time watchdog, reached only if a call blocks where it
				// must not (inside the bubble such a call would hang: virtual
				// time cannot advance while a goroutine waits on a mutex).
				watchdog := make(chan struct{})
				timer := time.AfterFunc(10*time.Second, func() { close(watchdog) })
				defer timer.Stop()
				synctest.Test(t, func(t *testing.T) {
					log := new(rsLog)
					w, x := rsNewActor(log, "W"), rsNewActor(log, "X")
					sup := rsNew(t, "root", supervisor.WithStrategy(strategy),
						supervisor.WithBackoff(policy.Backoff{Initial: 10 * time.Second}),
						supervisor.WithJitter(func() float64 { return 0 }),
						supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}, supervisor.Child{Name: "X", Actor: x}))
					run := rsStart(t, sup)
					w.fail(errRsBoom)
					time.Sleep(time.Second)
					synctest.Wait()
					c, ok := rsInfo(sup, "W")
					if !ok || c.State != supervisor.StateBackoff || c.Ready {
						t.Fatalf("W during its delay: %+v (found %v), want state backoff, not ready", c, ok)
					}
					before := time.Now()
					done := make(chan error, 1)
					go func() {
						switch how {
						case "remove":
							done <- sup.Remove("W")
						case "restart":
							done <- sup.Restart("W")
						case "cancel":
							done <- run.stop()
						}
					}()
					select {
					case err := <-done:
						if err != nil {
							t.Fatalf("%s: %v", how, err)
						}
					case <-watchdog:
						t.Fatalf("%s blocked during the backoff delay", how)
					}
					if waited := time.Since(before); waited != 0 {
						t.Errorf("%s waited %v of the delay, want 0", how, waited)
					}
					time.Sleep(time.Minute) // past the delay
					synctest.Wait()
					switch how {
					case "remove":
						if got := w.incarnations(); got != 1 {
							t.Errorf("removed W ran %d incarnations, want 1", got)
						}
						if _, ok := rsInfo(sup, "W"); ok {
							t.Errorf("W still listed after Remove")
						}
					case "restart":
						ts := w.startTimes()
						if len(ts) != 2 || !ts[1].Equal(before) {
							t.Errorf("W started at %v, want exactly two starts, the second at once (%v)", ts, before)
						}
					case "cancel":
						if got := w.incarnations(); got != 1 {
							t.Errorf("W ran %d incarnations after shutdown, want 1", got)
						}
						return
					}
					// The bystander stopped for the group restart is not left behind.
					wantX := uint64(1)
					if strategy != policy.OneForOne {
						wantX = 2
					}
					if c, ok := rsInfo(sup, "X"); !ok || c.State != supervisor.StateRunning || c.Incarnation != wantX {
						t.Errorf("X afterwards: %+v (found %v), want running incarnation %d", c, ok, wantX)
					}
				})
			})
		}
	}
}

// A group strategy stops the group at once, waits the failed child's
// delay, then starts the group.
func TestBackoffGroupWaitsFailedChildDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		log := new(rsLog)
		actors, specs := rsGroup(log, true, "A", "B", "C")
		specs[1].Backoff = &policy.Backoff{Initial: 3 * time.Second}
		sup := rsNew(t, "root", supervisor.WithStrategy(policy.OneForAll),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Hour}),
			supervisor.WithChildren(specs...))
		run := rsStart(t, sup)
		actors["B"].fail(errRsBoom)
		rsEqual(t, "log at once", log.from(3), []string{"fail B#1", "stop C#1", "stop A#1"})
		time.Sleep(time.Minute)
		rsEqual(t, "log", log.from(3), []string{"fail B#1", "stop C#1", "stop A#1", "start A#2", "start B#2", "start C#2"})
		for name, a := range actors {
			if ts := a.startTimes(); ts[1].Sub(start) != 3*time.Second {
				t.Errorf("%s restarted at %v, want 3s (B's own delay)", name, ts[1].Sub(start))
			}
		}
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// During a group strategy's delay the stopped bystanders are waiting to be
// restarted: state restarting, not stopped.
func TestBackoffGroupBystanderState(t *testing.T) {
	for _, strategy := range []policy.Strategy{policy.OneForAll, policy.RestForOne} {
		t.Run(strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				actors, specs := rsGroup(log, true, "W", "X")
				sup := rsNew(t, "root", supervisor.WithStrategy(strategy),
					supervisor.WithBackoff(policy.Backoff{Initial: 10 * time.Second}),
					supervisor.WithChildren(specs...))
				run := rsStart(t, sup)
				actors["W"].fail(errRsBoom)
				rsEqual(t, "log", log.from(2), []string{"fail W#1", "stop X#1"})
				var states []supervisor.State
				for _, c := range sup.Children() {
					states = append(states, c.State)
				}
				rsEqual(t, "states during the delay", states, []supervisor.State{supervisor.StateBackoff, supervisor.StateRestarting})
				time.Sleep(time.Minute)
				rsEqual(t, "log", log.from(2), []string{"fail W#1", "stop X#1", "start W#2", "start X#2"})
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// A jitter source that panics counts as 0; one out of [0, 1) is clamped.
func TestBackoffJitterSourceClamped(t *testing.T) {
	tests := []struct {
		name     string
		src      func() float64
		min, max time.Duration // delay in [min, max)
	}{
		{"panics", func() float64 { panic("jitter bug") }, time.Second, time.Second + 1},
		{"negative", func() float64 { return -3 }, time.Second, time.Second + 1},
		{"above_one", func() float64 { return 7 }, 1900 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := rsNewActor(new(rsLog), "W")
				w.onStart = rsFailFirst(1)
				sup := rsNew(t, "root", supervisor.WithJitter(tt.src),
					supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Jitter: 1}),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
				run := rsStart(t, sup)
				time.Sleep(time.Minute)
				gaps := rsGaps(w.startTimes())
				if len(gaps) != 1 || gaps[0] < tt.min || gaps[0] >= tt.max {
					t.Errorf("delay %v, want one in [%v, %v)", gaps, tt.min, tt.max)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// A significant bystander stopped for a pending group restart is still
// alive for AllSignificant: another significant child ending meanwhile
// does not shut the supervisor down.
func TestBackoffGroupBystanderAliveForAllSignificant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := new(rsLog)
		rec := new(rsRecorder)
		actors, specs := rsGroup(log, true, "C", "W", "B")
		specs[0].Restart, specs[0].Significant = policy.Transient, true
		specs[2].Restart, specs[2].Significant = policy.Transient, true
		sup := rsNew(t, "root", supervisor.WithStrategy(policy.RestForOne), supervisor.WithObserver(rec),
			supervisor.WithAutoShutdown(policy.AllSignificant),
			supervisor.WithBackoff(policy.Backoff{Initial: 10 * time.Second}),
			supervisor.WithChildren(specs...))
		run := rsStart(t, sup)
		actors["W"].fail(errRsBoom) // stops B, then waits 10s
		actors["C"].fail(nil)       // C ends for good; B is still to be restarted
		time.Sleep(time.Minute)
		if done, err := run.returned(); done {
			t.Fatalf("Run returned %v (auto-shutdown, %d events): significant B was awaiting its restart; log %v",
				err, rec.count(supervisor.EventAutoShutdown, ""), log.from(3))
		}
		rsEqual(t, "log", log.from(3), []string{"fail W#1", "stop B#1", "exit C#1", "start W#2", "start B#2"})
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}
