package supervisor_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// Children abandoned at shutdown (past their shutdown timeout) that return
// after Run returned are still logged, each once, by the log sink that
// had already stopped: their entries are written after the sink's last
// one and one at a time (run with -race: the log writer's state is not
// shared unguarded with the sink's goroutine, nor between two of them).
func TestStuckChildrenReturningAfterRunAreLoggedOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zap.DebugLevel)
		slow := func(ctx context.Context) error {
			<-ctx.Done()
			tm := time.NewTimer(5 * time.Second)
			<-tm.C
			return nil
		}
		sup, err := supervisor.New("root", supervisor.WithLogger(zap.New(core)), supervisor.WithConcurrentShutdown(true),
			supervisor.WithChildren(
				supervisor.Child{Name: "a", Actor: lateActor(slow), ShutdownTimeout: time.Second},
				supervisor.Child{Name: "b", Actor: lateActor(slow), ShutdownTimeout: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		run := supervisortest.Start(t, sup)
		synctest.Wait()
		_ = run.Stop() // a *StuckError: both abandoned
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := logs.FilterMessage("stuck child finally returned").Len(); n != 2 {
			t.Errorf("%d entries for the stuck children's returns, want 2:\n%v", n, logs.All())
		}
	})
}

type lateActor func(context.Context) error

func (f lateActor) Run(ctx context.Context) error { return f(ctx) }
