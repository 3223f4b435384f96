package daemon_test

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// A child that misses its liveness deadline and then ignores its context
// becomes stuck: its supervisor gives up, its parent restarts the subtree,
// whose slot for the child waits for the stuck goroutine, and the process
// main stops its watchdog pings, so that systemd restarts the process.
func TestRunWatchdogStopsWhenAHungChildIsStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var runs atomic.Int32
		hung := actor.Func(func(ctx context.Context) error {
			actor.Beat(ctx)
			if runs.Add(1) == 1 {
				<-release // deadlocked: ignores its context
				return nil
			}
			for { // later incarnations beat
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
					actor.Beat(ctx)
				}
			}
		})
		sub, err := supervisor.New("sub", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: hung,
			ShutdownTimeout: time.Second, Liveness: &supervisor.Liveness{Timeout: 1500 * time.Millisecond}}))
		if err != nil {
			t.Fatal(err)
		}
		root := newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		h := start(t.Context(), root, daemon.WithWatchdog(2*time.Second))
		// Hung at 1.5s, stuck at 2.5s: pings at 1s and 2s only.
		time.Sleep(time.Minute)
		synctest.Wait()
		if n, last := h.notes.pings(); n != 2 || root.Health().Alive {
			t.Fatalf("%d pings (the last at %v), alive=%v; want 2 and not alive", n, last, root.Health().Alive)
		}
		if c := sub.Counters(); c.Hangs != 1 || c.EscalationsStuck != 1 {
			t.Errorf("sub's counters = %+v, want one hang and one escalation for its stuck slot", c)
		}
		close(release) // the stuck goroutine returns: alive again
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n, _ := h.notes.pings(); n <= 2 || !root.Health().Alive || runs.Load() != 2 {
			t.Errorf("%d pings once the stuck child returned, alive=%v, %d runs; want pings again, alive, the child run again",
				n, root.Health().Alive, runs.Load())
		}
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK {
			t.Errorf("Run = %d, %v; want 0", r.code, r.err)
		}
	})
}
