package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// TestSubscribeSeesSubtree: a subscription on the root receives the events
// of a nested supervisor too, drops (and counts) what does not fit, and its
// channel is closed by Close.
func TestSubscribeSeesSubtree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fails := 0
		inner := ssNew(t, "inner", supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}), supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
				if fails < 2 {
					fails++
					return errors.New("boom")
				}
				<-ctx.Done()
				return nil
			})},
		))
		root := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "inner", Actor: inner}))
		sub, err := root.Subscribe(64)
		if err != nil {
			t.Fatal(err)
		}
		small, err := root.Subscribe(1)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		sub.Close()
		sub.Close() // twice is fine
		restarts := 0
		for e := range sub.Events() {
			if e.Kind == supervisor.EventRestarting && e.Path == "root/inner/w" {
				restarts++
			}
		}
		if restarts != 2 {
			t.Fatalf("restarts of root/inner/w seen = %d, want 2", restarts)
		}
		if small.Dropped() == 0 {
			t.Fatal("a buffer of 1 dropped nothing")
		}
		small.Close()
		if c := inner.Counters(); c.Restarts != 2 || c.Errors != 2 || c.ExitsAbnormal != 2 || c.Starts != 3 || c.ExitsShutdown != 1 {
			t.Fatalf("inner counters = %+v", c)
		}
		if _, err := root.Subscribe(0); err == nil {
			t.Fatal("Subscribe(0) accepted")
		}
	})
}

// TestWaitReady: WaitReady returns once the tree's start phase is done,
// also when called before Run, and returns the context's cause otherwise.
func TestWaitReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "slow", WaitReady: true,
			Actor: actor.Func(func(ctx context.Context) error {
				time.Sleep(3 * time.Second)
				actor.Ready(ctx)
				<-ctx.Done()
				return nil
			})}))
		got := make(chan time.Duration, 1)
		t0 := time.Now()
		go func() {
			if err := root.WaitReady(t.Context()); err != nil {
				t.Error(err)
			}
			got <- time.Since(t0)
		}()
		synctest.Wait()
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		if d := <-got; d != 3*time.Second {
			t.Fatalf("WaitReady returned after %v, want 3s", d)
		}
		if err := root.WaitReady(t.Context()); err != nil {
			t.Fatal(err)
		}
		cancel()
		<-done
		wctx, wcancel := context.WithTimeout(t.Context(), time.Second)
		defer wcancel()
		if err := root.WaitReady(wctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitReady on a stopped supervisor = %v, want DeadlineExceeded", err)
		}
	})
}
