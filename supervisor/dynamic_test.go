package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// ssFlaky is a worker that fails with err every d of virtual time.
func ssFlaky(d time.Duration, err error) actor.Func {
	return func(ctx context.Context) error {
		if !ssSleep(ctx, d) {
			return nil
		}
		return err
	}
}

func TestAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		boom := errors.New("boom")
		blocker := func(name string) supervisor.Child {
			return supervisor.Child{Name: name, Actor: ssBlocker(name, log, 0)}
		}
		sup := ssNew(t, "root", supervisor.WithMaxChildren(3), supervisor.WithChildren(blocker("a")))
		if err := sup.Add(blocker("early")); !errors.Is(err, supervisor.ErrNotRunning) {
			t.Fatalf("Add before Run = %v, want ErrNotRunning", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)

		t0 := time.Now()
		if err := sup.Add(supervisor.Child{Name: "w", WaitReady: true, Actor: ssReadyAfter("w", log, 2*time.Second)}); err != nil {
			t.Fatalf("Add(w) = %v", err)
		}
		if took := time.Since(t0); took != 2*time.Second {
			t.Errorf("Add(w) returned after %v, want 2s (when w became ready)", took)
		}
		if info := ssInfo(t, sup, "w"); info.State != supervisor.StateRunning || !info.Ready {
			t.Errorf("w = %+v, want running and ready", info)
		}
		if err := sup.Add(blocker("a")); !errors.Is(err, supervisor.ErrDuplicateName) {
			t.Errorf("Add(a) again = %v, want ErrDuplicateName", err)
		}
		var ce *supervisor.ConfigError
		if err := sup.Add(supervisor.Child{Name: "x/y", Actor: ssBlocker("x", log, 0)}); !errors.As(err, &ce) {
			t.Errorf("Add(x/y) = %v, want *ConfigError", err)
		}
		if err := sup.Add(supervisor.Child{Name: "nil"}); !errors.As(err, &ce) || ce.Field != "Child[nil].Actor" {
			t.Errorf("Add(nil actor) = %v, want *ConfigError on Child[nil].Actor", err)
		}
		err := sup.Add(supervisor.Child{Name: "f", WaitReady: true, Actor: actor.Func(func(context.Context) error { return boom })})
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Child != "root/f" || !errors.Is(err, boom) {
			t.Errorf("Add(f) = %v, want *StartError for root/f wrapping boom", err)
		}
		ssWant(t, "children", ssNames(sup.Children()), []string{"a", "w"})
		if err := sup.Add(blocker("f")); err != nil {
			t.Errorf("Add(f) after its failed start = %v, want nil", err)
		}
		if err := sup.Add(blocker("g")); !errors.Is(err, supervisor.ErrMaxChildren) {
			t.Errorf("Add beyond MaxChildren = %v, want ErrMaxChildren", err)
		}
		ssWant(t, "children", ssNames(sup.Children()), []string{"a", "w", "f"})
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		if err := sup.Add(blocker("late")); !errors.Is(err, supervisor.ErrNotRunning) {
			t.Errorf("Add after Run = %v, want ErrNotRunning", err)
		}
	})
}

func TestRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, rec := ssNewLog(), &ssRec{}
		release := make(chan struct{})
		sup := ssNew(t, "root", supervisor.WithObserver(rec), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssBlocker("a", log, 0)},
			supervisor.Child{Name: "b", Actor: ssStuckWorker(release), ShutdownTimeout: time.Second},
		))
		if err := sup.Remove("a"); !errors.Is(err, supervisor.ErrNotRunning) {
			t.Fatalf("Remove before Run = %v, want ErrNotRunning", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)

		if err := sup.Remove("a"); err != nil {
			t.Fatalf("Remove(a) = %v", err)
		}
		ssWant(t, "log", log.get(), []string{"start a", "cancel a removed from its supervisor", "return a"})
		ssWant(t, "children", ssNames(sup.Children()), []string{"b"})
		if err := sup.Remove("nope"); !errors.Is(err, supervisor.ErrUnknownChild) {
			t.Errorf("Remove(nope) = %v, want ErrUnknownChild", err)
		}

		t0 := time.Now()
		err := sup.Remove("b")
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/b" || se.Stuck[0].Waited != time.Second {
			t.Fatalf("Remove(b) = %v, want *StuckError for root/b after 1s", err)
		}
		if took := time.Since(t0); took != time.Second {
			t.Errorf("Remove(b) took %v, want 1s", took)
		}
		if err := sup.Add(supervisor.Child{Name: "b", Actor: ssBlocker("b", log, 0)}); !errors.Is(err, supervisor.ErrDuplicateName) {
			t.Errorf("Add(b) while stuck = %v, want ErrDuplicateName", err)
		}
		if err := sup.Remove("b"); !errors.Is(err, supervisor.ErrChildBusy) {
			t.Errorf("Remove(b) again while stuck = %v, want ErrChildBusy", err)
		}
		close(release)
		synctest.Wait()
		ssWant(t, "children after release", ssNames(sup.Children()), []string{})
		ssWant(t, "events of b", rec.kinds(supervisor.EventStopTimeout, supervisor.EventStuckExited, supervisor.EventRemoved),
			[]string{"removed root/a", "stop_timeout root/b", "stuck_exited root/b"})
		if err := sup.Add(supervisor.Child{Name: "b", Actor: ssBlocker("b", log, 0)}); err != nil {
			t.Errorf("Add(b) after its goroutine returned = %v", err)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v, want nil: b returned before the clean shutdown", err)
		}
	})
}

func TestRemovedStuckChildThatReturnedIsNotReportedByRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "b", Actor: ssStuckWorker(release), ShutdownTimeout: time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		var se *supervisor.StuckError
		if err := sup.Remove("b"); !errors.As(err, &se) {
			t.Fatalf("Remove(b) = %v, want *StuckError", err)
		}
		close(release)
		synctest.Wait()
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v, want nil: the removed child returned long before the clean shutdown", err)
		}
	})
}

func TestRemovedChildStillStuckAtShutdownIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "b", Actor: ssStuckWorker(release), ShutdownTimeout: time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		var se *supervisor.StuckError
		if err := sup.Remove("b"); !errors.As(err, &se) {
			t.Fatalf("Remove(b) = %v, want *StuckError", err)
		}
		cancel()
		err := ssDone(t, done)
		close(release)
		synctest.Wait()
		if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/b" {
			t.Fatalf("Run = %v, want *StuckError naming root/b, whose goroutine outlives Run", err)
		}
	})
}

func TestRestartNotCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		n := 0
		sup := ssNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Hour}),
			supervisor.WithChildren(
				supervisor.Child{Name: "a", Actor: ssBlocker("a", log, 0)},
				supervisor.Child{Name: "t", Restart: policy.Transient, Actor: actor.Func(func(ctx context.Context) error {
					if n++; n == 1 {
						return nil // a normal exit: stays stopped
					}
					<-ctx.Done()
					return nil
				})},
			))
		if err := sup.Restart("a"); !errors.Is(err, supervisor.ErrNotRunning) {
			t.Fatalf("Restart before Run = %v, want ErrNotRunning", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		for range 3 {
			if err := sup.Restart("a"); err != nil {
				t.Fatalf("Restart(a) = %v", err)
			}
		}
		ssRunning(t, done) // MaxRestarts 0: a counted restart would have escalated
		if info := ssInfo(t, sup, "a"); info.Incarnation != 4 || info.State != supervisor.StateRunning {
			t.Errorf("a = %+v, want incarnation 4, running", info)
		}
		if got := log.get(); len(got) != 10 || got[1] != "cancel a restarted by request" {
			t.Errorf("log = %q, want 4 starts and 3 manual stops", got)
		}
		if info := ssInfo(t, sup, "t"); info.State != supervisor.StateStopped {
			t.Fatalf("t = %+v, want stopped after its normal exit", info)
		}
		if err := sup.Restart("t"); err != nil {
			t.Fatalf("Restart(t) = %v", err)
		}
		synctest.Wait()
		if info := ssInfo(t, sup, "t"); info.State != supervisor.StateRunning || info.Incarnation != 2 || n != 2 {
			t.Errorf("t = %+v (runs %d), want incarnation 2, running", info, n)
		}
		if err := sup.Restart("nope"); !errors.Is(err, supervisor.ErrUnknownChild) {
			t.Errorf("Restart(nope) = %v, want ErrUnknownChild", err)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestRestartFromBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		n := 0
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w",
			Backoff: &policy.Backoff{Initial: time.Hour},
			Actor: actor.Func(func(ctx context.Context) error {
				n++
				log.addAt("start w#%d", n)
				if n == 1 {
					return errors.New("boom")
				}
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(time.Minute)
		ssRunning(t, done)
		if info := ssInfo(t, sup, "w"); info.State != supervisor.StateBackoff {
			t.Fatalf("w = %+v, want backoff", info)
		}
		if err := sup.Restart("w"); err != nil {
			t.Fatalf("Restart(w) = %v", err)
		}
		time.Sleep(3 * time.Hour) // the cancelled backoff must not start another incarnation
		ssRunning(t, done)
		ssWant(t, "log", log.get(), []string{"0s start w#1", "1m0s start w#2"})
		if info := ssInfo(t, sup, "w"); info.State != supervisor.StateRunning {
			t.Errorf("w = %+v, want running", info)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestChildrenSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errX := errors.New("x failed")
		n := 0
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
				if n++; n <= 2 {
					return errX
				}
				<-ctx.Done()
				return nil
			})},
			supervisor.Child{Name: "b", Restart: policy.Transient, Actor: actor.Func(func(context.Context) error { return nil })},
			supervisor.Child{Name: "c", Backoff: &policy.Backoff{Initial: time.Hour}, Actor: ssFlaky(0, errX)},
		))
		if sup.Children() != nil {
			t.Fatal("Children before Run is not nil")
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		got := sup.Children()
		want := []supervisor.ChildInfo{
			{Name: "a", Path: "root/a", State: supervisor.StateRunning, Restarts: 2, Incarnation: 3, LastError: errX},
			{Name: "b", Path: "root/b", State: supervisor.StateStopped, Restarts: 0, Incarnation: 1},
			{Name: "c", Path: "root/c", State: supervisor.StateBackoff, Restarts: 1, Incarnation: 2, LastError: errX},
		}
		if len(got) != len(want) {
			t.Fatalf("Children = %+v", got)
		}
		for i, w := range want {
			g := got[i]
			if g.Name != w.Name || g.Path != w.Path || g.State != w.State || g.Restarts != w.Restarts ||
				g.Incarnation != w.Incarnation || g.LastError != w.LastError {
				t.Errorf("child %d = %+v, want %+v", i, g, w)
			}
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestConcurrentDynamicOps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		var spec []supervisor.Child
		for i := range 4 {
			spec = append(spec, supervisor.Child{Name: fmt.Sprintf("f%d", i), Actor: ssFlaky(time.Duration(3+i)*time.Millisecond, boom)})
		}
		sup := ssNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(spec...))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)

		var mu sync.Mutex
		var problems []string
		sharedWins := map[string]int{}
		report := func(op string, err error) {
			if err != nil {
				mu.Lock()
				problems = append(problems, op+": "+err.Error())
				mu.Unlock()
			}
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 10 {
					name := fmt.Sprintf("g%d-%d", i, j)
					report("Add "+name, sup.Add(supervisor.Child{Name: name, Actor: ssFlaky(time.Duration(2+i)*time.Millisecond, boom)}))
					report("Restart "+name, sup.Restart(name))
					if j%2 == 0 {
						report("Remove "+name, sup.Remove(name))
					}
					shared := fmt.Sprintf("shared-%d", j)
					switch err := sup.Add(supervisor.Child{Name: shared, Actor: ssFlaky(5*time.Millisecond, boom)}); {
					case err == nil:
						mu.Lock()
						sharedWins[shared]++
						mu.Unlock()
					case !errors.Is(err, supervisor.ErrDuplicateName):
						report("Add "+shared, err)
					}
					report("Restart f", sup.Restart(fmt.Sprintf("f%d", j%4)))
					_ = sup.Children()
					time.Sleep(time.Millisecond)
				}
			})
		}
		wg.Wait()
		for _, p := range problems {
			t.Error(p)
		}
		want := []string{"f0", "f1", "f2", "f3"}
		for i := range 8 {
			for j := 1; j < 10; j += 2 {
				want = append(want, fmt.Sprintf("g%d-%d", i, j))
			}
		}
		for j := range 10 {
			want = append(want, fmt.Sprintf("shared-%d", j))
			if sharedWins[fmt.Sprintf("shared-%d", j)] != 1 {
				t.Errorf("shared-%d added %d times, want exactly 1", j, sharedWins[fmt.Sprintf("shared-%d", j)])
			}
		}
		got := ssNames(sup.Children())
		slices.Sort(got)
		slices.Sort(want)
		ssWant(t, "children", got, want)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestRestartFailingBeforeReadyIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		n := 0
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", WaitReady: true,
			Actor: actor.Func(func(ctx context.Context) error {
				if n++; n == 2 {
					return boom
				}
				actor.Ready(ctx)
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		err := sup.Restart("w")
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Child != "root/w" || !errors.Is(err, boom) {
			t.Fatalf("Restart(w) = %v, want *StartError for root/w wrapping boom", err)
		}
		time.Sleep(time.Hour)
		ssRunning(t, done)
		if info := ssInfo(t, sup, "w"); n != 2 || info.Restarts != 0 || info.State != supervisor.StateStopped {
			t.Errorf("w = %+v after %d runs, want stopped, not retried, nothing counted", info, n)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}
