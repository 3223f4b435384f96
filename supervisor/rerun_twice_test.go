package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// TestSubtreeRestartedTwiceWhileItsChildIsStillStuck checks that a child
// supervisor whose parent restarts it twice while one of its children (one
// from the spec, one added at run time) is still stuck from the first run
// keeps each slot waiting across both runs: the spec child starts once its
// old goroutine returns, in the run then in progress, never two
// incarnations at once; the added child's name stays reserved until then,
// and is free afterwards.
func TestSubtreeRestartedTwiceWhileItsChildIsStillStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &rsOnce{release: make(chan struct{})}
		defer b.free()
		d := &rsOnce{release: b.release}
		failer := actor.Func(func(ctx context.Context) error {
			if ssSleep(ctx, 3*time.Second) {
				return errors.New("boom")
			}
			return nil
		})
		inner := ssNew(t, "inner", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "b", Actor: b, ShutdownTimeout: time.Second},
				supervisor.Child{Name: "f", Actor: failer},
			))
		root := ssNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 5, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "inner", Actor: inner}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		time.Sleep(time.Millisecond)
		if err := inner.Add(supervisor.Child{Name: "d", Actor: d, ShutdownTimeout: time.Second}); err != nil {
			t.Fatalf("Add d: %v", err)
		}
		// f fails at 3s: inner gives up, b and d stuck after 1s; run 2 at 4s.
		// f fails again at 7s: run 3, b and d still stuck.
		time.Sleep(8 * time.Second)
		ssRunning(t, done)
		if info := ssInfo(t, root, "inner"); info.Restarts != 2 || info.State != supervisor.StateRunning {
			t.Errorf("inner: %+v, want running after two restarts", info)
		}
		if got := rsState(inner, "b") + ", " + rsState(inner, "d"); got != "stuck #0, stuck #0" {
			t.Errorf("inner's b, d = %s; want both stuck", got)
		}
		if err := inner.Add(supervisor.Child{Name: "d", Actor: d}); !errors.Is(err, supervisor.ErrDuplicateName) {
			t.Errorf("Add d while its old goroutine is stuck = %v, want ErrDuplicateName", err)
		}
		for _, op := range []func(string) error{inner.Remove, inner.Restart} {
			if err := op("b"); !errors.Is(err, supervisor.ErrChildBusy) {
				t.Errorf("Remove/Restart b while stuck = %v, want ErrChildBusy", err)
			}
		}
		if h := root.Health(); h.Alive || !slices.Equal(h.Stuck, []string{"root/inner/b", "root/inner/d"}) {
			t.Errorf("Health = %+v, want root/inner/b and root/inner/d stuck", h)
		}
		b.free()
		synctest.Wait()
		if got := rsState(inner, "b") + ", " + rsState(inner, "d"); got != "running #1, absent" {
			t.Errorf("inner's b, d once their old goroutines returned = %s; want b running #1, d absent", got)
		}
		if n, m := b.starts.Load(), b.maxLive.Load(); n != 2 || m != 1 {
			t.Errorf("b started %d times, %d at once at most; want 2, never two at once", n, m)
		}
		if h := root.Health(); !h.Alive || len(h.Stuck) != 0 {
			t.Errorf("Health = %+v, want alive, nothing stuck", h)
		}
		if err := inner.Add(supervisor.Child{Name: "d", Actor: d}); err != nil {
			t.Errorf("Add d once its old goroutine returned: %v", err)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

// TestStuckChildReturningWhileTheNextRunStopsStartsInTheRunAfter checks a
// stuck goroutine of a child supervisor's first run that returns while its
// second run is stopping (it gave up too): the third run starts the child
// once, and no run starts two incarnations of it.
func TestStuckChildReturningWhileTheNextRunStopsStartsInTheRunAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &rsOnce{release: make(chan struct{})}
		defer b.free()
		failer := actor.Func(func(ctx context.Context) error {
			if ssSleep(ctx, 3*time.Second) {
				return errors.New("boom")
			}
			return nil
		})
		slow := actor.Func(func(ctx context.Context) error { // takes 1s to stop
			<-ctx.Done()
			time.Sleep(time.Second)
			return nil
		})
		inner := ssNew(t, "inner", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "b", Actor: b, ShutdownTimeout: 500 * time.Millisecond},
				supervisor.Child{Name: "f", Actor: failer},
				supervisor.Child{Name: "s", Actor: slow, ShutdownTimeout: 2 * time.Second},
			))
		root := ssNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 5, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "inner", Actor: inner}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		// Run 1: f fails at 3s; s stops at 4s; b stuck at 4.5s. Run 2 from
		// 4.5s: f fails at 7.5s, s stops at 8.5s. b's old goroutine returns
		// at 8s, while run 2 stops.
		time.Sleep(8 * time.Second)
		if got := rsState(inner, "b"); got != "stuck #0" {
			t.Errorf("b in run 2 while it stops = %s; want stuck #0", got)
		}
		b.free()
		time.Sleep(2 * time.Second)
		ssRunning(t, done)
		if info := ssInfo(t, root, "inner"); info.Restarts != 2 || info.State != supervisor.StateRunning {
			t.Errorf("inner: %+v, want running after two restarts", info)
		}
		if got := rsState(inner, "b"); got != "running #1" {
			t.Errorf("b in run 3 = %s; want running #1", got)
		}
		if n, m := b.starts.Load(), b.maxLive.Load(); n != 2 || m != 1 {
			t.Errorf("b started %d times, %d at once at most; want 2, never two at once", n, m)
		}
		if h := root.Health(); !h.Alive || len(h.Stuck) != 0 {
			t.Errorf("Health = %+v, want alive, nothing stuck", h)
		}
		cancel()
		time.Sleep(time.Second) // s takes 1s to stop
		if err := ssDone(t, done); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}
