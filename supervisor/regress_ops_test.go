package supervisor_test

// Regression tests for issue 10, items 14 to 18 (operations and kinds).

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

func TestKindComesFromSpecOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		var live rgLive
		helper := ssNew(t, "helper", supervisor.WithChildren(supervisor.Child{Name: "h", Actor: live.blocker()}))
		wrapped := ssNew(t, "wrapped", supervisor.WithChildren(supervisor.Child{Name: "h", Actor: live.blocker()}))
		worker := actor.Func(func(ctx context.Context) error {
			hctx, hcancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- helper.Run(hctx) }()
			actor.Ready(ctx)
			<-ctx.Done()
			<-release // a slow worker: its finite default timeout must apply
			hcancel()
			return <-done
		})
		root := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: worker},
			supervisor.Child{Name: "k", Kind: supervisor.KindWorker, Actor: wrapped}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, root)
		ssRunning(t, ch)
		for _, n := range root.Snapshot().Children {
			if n.Kind != supervisor.KindWorker || len(n.Children) != 0 {
				t.Errorf("%s: kind %v with %d children, want a worker without children", n.Path, n.Kind, len(n.Children))
			}
		}
		cancel()
		err := rgDoneWithin(t, ch, 6*time.Second) // 5s: a worker's default shutdown timeout
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/w" {
			t.Errorf("Run: %v, want root/w stuck after a worker's timeout", err)
		}
	})
}

func TestRemoveAgainWhileStuckChildReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var live rgLive
		sup := ssNew(t, "root")
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		for i := range 100 {
			release := make(chan struct{})
			name := "s" + itoa(i)
			if err := sup.Add(supervisor.Child{Name: name, ShutdownTimeout: time.Second, Actor: rgStuck(&live, release)}); err != nil {
				t.Fatal(err)
			}
			var se *supervisor.StuckError
			if err := sup.Remove(name); !errors.As(err, &se) {
				t.Fatalf("Remove: %v, want *StuckError", err)
			}
			done := make(chan error, 1)
			go func() { done <- sup.Remove(name) }()
			if i%2 == 0 {
				close(release)
			} else {
				go close(release)
			}
			synctest.Wait()
			if err := <-done; err != nil && !errors.Is(err, supervisor.ErrChildBusy) && !errors.Is(err, supervisor.ErrUnknownChild) {
				t.Fatalf("second Remove: %v", err)
			}
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestRestartOfStuckChildStartsOnceItReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", WaitReady: true, ShutdownTimeout: time.Second,
			Actor: rgStuck(&live, release)}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		var se *supervisor.StuckError
		if err := sup.Restart("a"); !errors.As(err, &se) {
			t.Fatalf("Restart: %v, want *StuckError", err)
		}
		if got := ssInfo(t, sup, "a"); got.State != supervisor.StateStuck {
			t.Errorf("a after a timed-out Restart: %v", got.State)
		}
		if alive, _ := sup.Liveness(); alive {
			t.Error("alive with a stuck child")
		}
		if ready, _ := sup.Readiness(); ready {
			t.Error("ready with a stuck WaitReady child")
		}
		close(release)
		synctest.Wait()
		if got := ssInfo(t, sup, "a"); got.State != supervisor.StateRunning || got.Incarnation != 2 {
			t.Errorf("a after its goroutine returned: %+v, want running incarnation 2", got)
		}
		if h := sup.Health(); !h.Ready || !h.Alive {
			t.Errorf("Health: %+v", h)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestOperationsDuringShutdownFailFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		sup := ssNew(t, "root", supervisor.WithDrainDelay(5*time.Second), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssBlocker("a", log, 0)},
			supervisor.Child{Name: "b", Actor: ssBlocker("b", log, 10*time.Second)}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		cancel()
		synctest.Wait() // the loop has seen the cancellation: draining
		check := func(when string) {
			t.Helper()
			var errs [3]error
			rgQuick(t, when+" Add", func() { errs[0] = sup.Add(supervisor.Child{Name: "n", Actor: ssBlocker("n", log, 0)}) })
			rgQuick(t, when+" Remove", func() { errs[1] = sup.Remove("a") })
			rgQuick(t, when+" Restart", func() { errs[2] = sup.Restart("a") })
			for i, err := range errs {
				if !errors.Is(err, supervisor.ErrShuttingDown) {
					t.Errorf("%s op %d: %v, want ErrShuttingDown", when, i, err)
				}
			}
		}
		check("drain")
		time.Sleep(6 * time.Second) // b is stopping for 10s
		check("stop")
		_ = rgDoneWithin(t, ch, time.Minute)
	})
}

func TestCancelDuringAddFromInitIsClean(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		adding := make(chan struct{})
		sup := ssNew(t, "root", supervisor.WithInit(func(ctx context.Context, s *supervisor.Supervisor) error {
			close(adding)
			return s.Add(supervisor.Child{Name: "never", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
				<-ctx.Done()
				return nil
			})})
		}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		<-adding
		ssRunning(t, ch)
		cancel()
		if err := rgDoneWithin(t, ch, time.Minute); err != nil {
			t.Errorf("Run after a clean cancel during init's Add: %v, want nil", err)
		}
	})
}

func TestZeroAndNilSupervisorReportNotConstructed(t *testing.T) {
	var zero supervisor.Supervisor
	var nilSup *supervisor.Supervisor
	for name, s := range map[string]*supervisor.Supervisor{"zero": &zero, "nil": nilSup} {
		if err := s.Run(t.Context()); !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s Run: %v, want ErrNotConstructed", name, err)
		}
		if err := s.Add(supervisor.Child{Name: "a", Actor: actor.Func(func(context.Context) error { return nil })}); !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s Add: %v", name, err)
		}
		if err := s.Remove("a"); !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s Remove: %v", name, err)
		}
		if err := s.Restart("a"); !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s Restart: %v", name, err)
		}
		if err := s.WaitReady(t.Context()); !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s WaitReady: %v", name, err)
		}
		if _, err := s.Subscribe(1); !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s Subscribe: %v", name, err)
		}
		// The read-only methods answer without a panic.
		if h := s.Health(); h.Ready || h.Reason != supervisor.ReasonNotRunning {
			t.Errorf("%s Health: %+v", name, h)
		}
		if ready, _ := s.Readiness(); ready {
			t.Errorf("%s Readiness: ready", name)
		}
		if alive, _ := s.Liveness(); !alive {
			t.Errorf("%s Liveness: not alive", name)
		}
		if n := s.Snapshot(); n.State != supervisor.StateStopped || len(n.Children) != 0 {
			t.Errorf("%s Snapshot: %+v", name, n)
		}
		if s.Children() != nil || s.Name() != "" || s.Counters() != (supervisor.Counters{}) {
			t.Errorf("%s Children/Name/Counters not empty", name)
		}
		_ = s.Strategy()
	}
	//lint:ignore SA1012 a nil ctx is what is tested
	if supervisor.Path(nil) != "" || supervisor.Logger(nil) == nil { //nolint:staticcheck
		t.Error("Path/Logger on a nil ctx")
	}
	//lint:ignore SA1012 a nil ctx is what is tested
	if _, ok := supervisor.StopDeadline(nil); ok { //nolint:staticcheck
		t.Error("StopDeadline on a nil ctx")
	}
}

// TestRestartAtRunStartWaitsForInitialStart: a Restart made at the exact
// moment Run has published its run, before the initial start, waits for the
// start (which holds the operations token) and then restarts the one
// incarnation: the child never has two, and Run returns after cancel.
func TestRestartAtRunStartWaitsForInitialStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var live, most atomic.Int64
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
			n := live.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			defer live.Add(-1)
			<-ctx.Done()
			return nil
		})}))
		restarted := make(chan error, 1)
		supervisor.SetTestHookRunPublished(func(s *supervisor.Supervisor) {
			if s == sup {
				go func() { restarted <- sup.Restart("a") }()
				synctest.Wait() // the Restart is blocked on the token: the start has it
			}
		})
		defer supervisor.SetTestHookRunPublished(nil)
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		if err := <-restarted; err != nil {
			t.Fatalf("Restart = %v", err)
		}
		synctest.Wait()
		if got := ssInfo(t, sup, "a"); got.Incarnation != 2 || got.State != supervisor.StateRunning {
			t.Errorf("a after the Restart: %+v, want running incarnation 2", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if most.Load() != 1 {
			t.Errorf("a had %d live incarnations at once, want 1", most.Load())
		}
	})
}
