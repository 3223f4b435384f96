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

// A deadline near the largest time.Duration (finite, so accepted) never
// falls due: adding it to an instant of the run saturates instead of
// wrapping round to a past instant, which made the child hung at the next
// check (one that another child's start triggers), then again at each
// restart. The beat form and the probe form, Timeout and Interval.
func TestAHugeLivenessDeadlineNeverFallsDue(t *testing.T) {
	huge := policy.Infinity - 1
	for _, tc := range []struct {
		name string
		live func() *supervisor.Liveness
	}{
		{"beat", func() *supervisor.Liveness { return &supervisor.Liveness{Timeout: huge} }},
		{"probe timeout", func() *supervisor.Liveness {
			return &supervisor.Liveness{Timeout: huge, Interval: time.Second, Probe: func(context.Context) error { return nil }}
		}},
		{"probe interval", func() *supervisor.Liveness {
			return &supervisor.Liveness{Timeout: time.Second, Interval: huge, Probe: func(context.Context) error { return nil }}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := supervisortest.NewRecorder()
				w := actor.Func(func(ctx context.Context) error {
					time.Sleep(5 * time.Second)
					actor.Beat(ctx)
					<-ctx.Done()
					return nil
				})
				idle := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
				sup := hangNew(t, "root", supervisor.WithObserver(rec),
					supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, Liveness: tc.live()}))
				time.Sleep(time.Second) // the run's instants do not start at 0
				run := supervisortest.Start(t, sup)
				time.Sleep(6 * time.Second)
				// Another child with a deadline starts: the checker looks
				// at every deadline again.
				if err := sup.Add(supervisor.Child{Name: "x", Actor: idle, Liveness: &supervisor.Liveness{Timeout: time.Hour}}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute)
				synctest.Wait()
				if c := sup.Counters(); c.Hangs != 0 {
					t.Errorf("%d hangs, want none; events %v", c.Hangs, rec.Kinds())
				}
				if err := run.Stop(); err != nil {
					t.Errorf("Run = %v", err)
				}
			})
		})
	}
}
