package supervisor_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A temporary child is never restarted: when it hangs and then ignores its
// context past its shutdown timeout, it is stuck (the tree is not live
// until its goroutine returns), but no restart needs its slot, so its
// supervisor does not give up: its siblings keep running, and once the
// goroutine returns the child is gone, as after any failure of a
// temporary child.
func TestAHungTemporaryChildThatBecomesStuckDoesNotMakeItsSupervisorGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		release := make(chan struct{})
		stubborn := actor.Func(func(ctx context.Context) error {
			actor.Beat(ctx)
			<-release // ignores its context
			return nil
		})
		sibling := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(
				supervisor.Child{Name: "other", Actor: sibling},
				supervisor.Child{Name: "w", Actor: stubborn, Restart: policy.Temporary, ShutdownTimeout: time.Second,
					Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		run := supervisortest.Start(t, sup)
		time.Sleep(time.Minute) // hung at 1s, stuck at 2s
		synctest.Wait()
		if c := sup.Counters(); c.Hangs != 1 || c.StopTimeouts != 1 || c.EscalationsStuck != 0 {
			t.Errorf("Counters = %+v, want one hang, one stop timeout, no escalation", c)
		}
		if info, ok := rsInfo(sup, "w"); !ok || info.State != supervisor.StateStuck {
			t.Errorf("w = %+v, %v; want stuck", info, ok)
		}
		if info, _ := rsInfo(sup, "other"); info.State != supervisor.StateRunning || info.Incarnation != 1 {
			t.Errorf("sibling = %+v, want its first incarnation still running", info)
		}
		if sup.Health().Alive {
			t.Error("live while a stuck goroutine runs")
		}
		close(release)
		synctest.Wait()
		if _, ok := rsInfo(sup, "w"); ok {
			t.Error("the temporary child is still there once its goroutine returned")
		}
		if !sup.Health().Alive {
			t.Error("not live once the stuck goroutine returned")
		}
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}
