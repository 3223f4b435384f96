package daemon_test

import (
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
)

// A child that hangs (it misses its liveness deadline) and ignores the
// cancel becomes stuck: the watchdog pings stop from that moment, so that
// systemd restarts the process, and the exit status is 1.
func TestHungChildThatIgnoresItsContextStopsThePings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := releasedAtEnd(t)
		sub := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "deadlocked", Actor: stubborn(release),
			ShutdownTimeout: time.Second, Liveness: &supervisor.Liveness{Timeout: 3 * time.Second}}))
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: blocker()},
			supervisor.Child{Name: "sub", Actor: sub}))
		events, err := root.Subscribe(64)
		if err != nil {
			t.Fatal(err)
		}
		defer events.Close()
		h := start(t.Context(), root, daemon.WithWatchdog(time.Second))
		var hungAt, stuckAt time.Time
		for stuckAt.IsZero() {
			switch ev := <-events.Events(); ev.Kind {
			case supervisor.EventHung:
				hungAt = ev.Time
			case supervisor.EventStopTimeout:
				stuckAt = time.Now()
			}
		}
		if hungAt.IsZero() {
			t.Fatal("the child became stuck without being found hung first")
		}
		before, _ := h.notes.pings()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n, last := h.notes.pings(); n != before || last.After(stuckAt) {
			t.Errorf("%d pings after the hung child became stuck (the last at +%v); want none",
				n-before, last.Sub(stuckAt))
		}
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		r := h.result(t)
		var se *supervisor.StuckError
		if r.code != daemon.ExitFailure || !errors.As(r.err, &se) {
			t.Errorf("Run = %d, %v; want 1 and a *StuckError", r.code, r.err)
		}
	})
}
