package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A probe call that never returns, in a child supervisor, is reported at
// shutdown like a stuck child, in the root's error too: stuck reports
// aggregate up the tree. While it runs, the child supervisor is not live
// (as with a stuck goroutine of an ended run); once it returns, it is.
func TestAProbeThatNeverReturnsInAChildSupervisorIsReportedByTheRoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		w := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		sub := hangNew(t, "sub", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w,
			Liveness: &supervisor.Liveness{Timeout: time.Second, Probe: func(context.Context) error { <-block; return nil }}}))
		root := hangNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		run := supervisortest.Start(t, root)
		time.Sleep(1500 * time.Millisecond) // the first call started at 1s and never returns
		err := run.Stop()
		var stuck *supervisor.StuckError
		if !errors.As(err, &stuck) || len(stuck.Stuck) != 1 || stuck.Stuck[0].Path != "root/sub/w/(probe)" {
			t.Errorf("Run = %v; want a *StuckError reporting root/sub/w/(probe)", err)
		}
		if alive, paths := sub.Liveness(); alive || !slices.Equal(paths, []string{"root/sub/w/(probe)"}) {
			t.Errorf("Liveness = %v, %v while the probe call runs; want false, [root/sub/w/(probe)]", alive, paths)
		}
		close(block)
		synctest.Wait()
		if alive, paths := sub.Liveness(); !alive {
			t.Errorf("Liveness = %v, %v once the probe call returned; want true", alive, paths)
		}
	})
}

// A WithShared state maker that never returns, in a child supervisor, is
// reported by the root too, as root/sub/(shared).
func TestASharedStateMakerThatNeverReturnsInAChildSupervisorIsReportedByTheRoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		sub := hangNew(t, "sub", supervisor.WithShared(func() any { <-release; return nil }),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })}))
		root := hangNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		run := supervisortest.Start(t, root)
		time.Sleep(time.Second)
		err := run.Stop()
		var stuck *supervisor.StuckError
		if !errors.As(err, &stuck) || len(stuck.Stuck) != 1 || stuck.Stuck[0].Path != "root/sub/(shared)" {
			t.Errorf("Run = %v; want a *StuckError reporting root/sub/(shared)", err)
		}
	})
}

// An init hook that never returns, in a child supervisor, is reported by
// the root too, as root/sub/(init).
func TestAnInitHookThatNeverReturnsInAChildSupervisorIsReportedByTheRoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		sub := hangNew(t, "sub", supervisor.WithInit(func(context.Context, *supervisor.Supervisor) error { <-release; return nil }),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })}))
		root := hangNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		run := supervisortest.Start(t, root)
		time.Sleep(time.Second)
		err := run.Stop()
		var stuck *supervisor.StuckError
		if !errors.As(err, &stuck) || len(stuck.Stuck) != 1 || stuck.Stuck[0].Path != "root/sub/(init)" {
			t.Errorf("Run = %v; want a *StuckError reporting root/sub/(init)", err)
		}
	})
}
