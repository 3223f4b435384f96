package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// rsOnce is a child whose first incarnation ignores cancellation until
// release is closed; later ones stop when cancelled. It counts its
// incarnations and the most that ever ran at once.
type rsOnce struct {
	release  chan struct{}
	starts   atomic.Int32
	live     atomic.Int32
	maxLive  atomic.Int32
	failOnce time.Duration // if > 0, the first incarnation fails after this instead
	freed    sync.Once
}

// free closes release, once.
func (o *rsOnce) free() { o.freed.Do(func() { close(o.release) }) }

func (o *rsOnce) Run(ctx context.Context) error {
	n := o.starts.Add(1)
	l := o.live.Add(1)
	defer o.live.Add(-1)
	for {
		m := o.maxLive.Load()
		if l <= m || o.maxLive.CompareAndSwap(m, l) {
			break
		}
	}
	actor.Ready(ctx)
	if n == 1 && o.failOnce > 0 {
		if ssSleep(ctx, o.failOnce) {
			return errors.New("boom")
		}
		return nil
	}
	<-ctx.Done()
	if n == 1 && o.release != nil {
		<-o.release
	}
	return nil
}

// rsState returns the state and incarnation of the named child of sup, or
// "absent".
func rsState(sup *supervisor.Supervisor, name string) string {
	for _, c := range sup.Children() {
		if c.Name == name {
			return c.State.String() + " #" + strconv.FormatUint(c.Incarnation, 10)
		}
	}
	return "absent"
}

// TestChildSupervisorRestartedWhileItsChildIsStuckStartsNormally checks
// that a child supervisor whose run escalated while one of its children was
// stuck is restarted by its parent once: the new run starts its other
// children at once, shows the stuck child stuck, and starts that child's
// slot as soon as its old goroutine returns, never two incarnations at
// once. (The new run once failed at once with ErrStillStuck, and the
// parent's intensity was spent in microseconds.)
func TestChildSupervisorRestartedWhileItsChildIsStuckStartsNormally(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &rsOnce{release: make(chan struct{})}
		defer b.free()
		f := &rsOnce{failOnce: time.Second}
		inner := ssNew(t, "inner", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}), supervisor.WithChildren(
			supervisor.Child{Name: "b", Actor: b, ShutdownTimeout: time.Second},
			supervisor.Child{Name: "f", Actor: f},
		))
		root := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "inner", Actor: inner}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		// f fails at 1s: inner escalates; b does not stop within 1s.
		time.Sleep(3 * time.Second)
		ssRunning(t, done)
		if info := ssInfo(t, root, "inner"); info.Restarts != 1 || info.State != supervisor.StateRunning {
			t.Errorf("inner: %+v, want running after one restart", info)
		}
		if got := rsState(inner, "f") + ", " + rsState(inner, "b"); got != "running #1, stuck #0" {
			t.Errorf("inner's f, b = %s; want f running, b stuck", got)
		}
		if h := root.Health(); h.Alive || !slices.Equal(h.Stuck, []string{"root/inner/b"}) {
			t.Errorf("Health = %+v, want root/inner/b stuck", h)
		}
		b.free()
		synctest.Wait()
		if got := rsState(inner, "b"); got != "running #1" {
			t.Errorf("b once its old goroutine returned: %s, want running #1", got)
		}
		if h := root.Health(); !h.Alive || !h.Ready {
			t.Errorf("Health = %+v, want alive and ready", h)
		}
		if n, m := b.starts.Load(), b.maxLive.Load(); n != 2 || m != 1 {
			t.Errorf("b started %d times, %d at once at most; want 2, never two at once", n, m)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

// TestRunAgainWhileAChildIsStuckStartsItsSlotOnceItReturns checks that a
// user's Run again, while a child of the earlier run is stuck, starts
// normally: the stuck child is reported stuck (also if the new run stops
// before it returned), and its slot starts once its old goroutine returns.
func TestRunAgainWhileAChildIsStuckStartsItsSlotOnceItReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		b := &rsOnce{release: make(chan struct{})}
		defer b.free()
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssBlocker("a", log, 0)},
			supervisor.Child{Name: "b", Actor: b, ShutdownTimeout: 2 * time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if got := bsStuckPaths(<-done); !slices.Equal(got, []string{"root/b"}) {
			t.Fatalf("first Run reports %v stuck, want root/b", got)
		}

		// A second run stopped while b is still stuck reports it again.
		ctx, cancel = context.WithCancel(t.Context())
		done = ssGo(ctx, sup)
		ssRunning(t, done)
		if got := rsState(sup, "a") + ", " + rsState(sup, "b"); got != "running #1, stuck #0" {
			t.Errorf("second run: a, b = %s; want a running, b stuck", got)
		}
		cancel()
		err := <-done
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/b" || se.Stuck[0].Waited != 2*time.Second {
			t.Fatalf("second Run = %v, want root/b still stuck (after 2s)", err)
		}

		// A third run: b's slot starts once its goroutine returns.
		ctx, cancel = context.WithCancel(t.Context())
		done = ssGo(ctx, sup)
		ssRunning(t, done)
		if h := sup.Health(); h.Alive || !slices.Equal(h.Stuck, []string{"root/b"}) {
			t.Errorf("Health = %+v, want root/b stuck", h)
		}
		b.free()
		synctest.Wait()
		if got := rsState(sup, "b"); got != "running #1" {
			t.Errorf("b once its old goroutine returned: %s, want running #1", got)
		}
		if n, m := b.starts.Load(), b.maxLive.Load(); n != 2 || m != 1 {
			t.Errorf("b started %d times, %d at once at most; want 2, never two at once", n, m)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Errorf("third Run = %v, want nil", err)
		}
	})
}

// TestStuckChildAddedAtRunTimeKeepsItsNameUntilItReturns checks that a
// stuck child that is not in the spec (it was added with Add) keeps its
// name reserved in a new run until its goroutine returns, and is then
// dropped.
func TestStuckChildAddedAtRunTimeKeepsItsNameUntilItReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := &rsOnce{release: make(chan struct{})}
		defer x.free()
		sup := ssNew(t, "root")
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		if err := sup.Add(supervisor.Child{Name: "x", Actor: x, ShutdownTimeout: time.Second}); err != nil {
			t.Fatal(err)
		}
		cancel()
		if got := bsStuckPaths(<-done); !slices.Equal(got, []string{"root/x"}) {
			t.Fatalf("first Run reports %v stuck, want root/x", got)
		}

		ctx, cancel = context.WithCancel(t.Context())
		done = ssGo(ctx, sup)
		ssRunning(t, done)
		if got := rsState(sup, "x"); got != "stuck #0" {
			t.Errorf("x in the new run: %s, want stuck", got)
		}
		if err := sup.Add(supervisor.Child{Name: "x", Actor: ssBlocker("x", ssNewLog(), 0)}); !errors.Is(err, supervisor.ErrDuplicateName) {
			t.Errorf("Add(x) while its old goroutine is stuck = %v, want ErrDuplicateName", err)
		}
		x.free()
		synctest.Wait()
		if got := rsState(sup, "x"); got != "absent" {
			t.Errorf("x once its goroutine returned: %s, want dropped", got)
		}
		if n := x.starts.Load(); n != 1 {
			t.Errorf("x started %d times, want 1 (it is not in the spec)", n)
		}
		if err := sup.Add(supervisor.Child{Name: "x", Actor: ssBlocker("x", ssNewLog(), 0)}); err != nil {
			t.Errorf("Add(x) once its name is free = %v", err)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}
