package supervisor_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// EventReady fires for a WaitReady worker when it calls actor.Ready, and
// for every child supervisor (WaitReady or not: a parent always waits for
// a child supervisor) when its start phase is done; a worker without
// WaitReady has no ready event.
func TestEventReadyFiresForChildSupervisorsToo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var ready []string
		obs := supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventReady {
				mu.Lock()
				ready = append(ready, e.Path)
				mu.Unlock()
			}
		})
		idle := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		signals := actor.Func(func(ctx context.Context) error { actor.Ready(ctx); <-ctx.Done(); return nil })
		sub, err := supervisor.New("sub", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: idle}))
		if err != nil {
			t.Fatal(err)
		}
		root, err := supervisor.New("root", supervisor.WithObserver(obs), supervisor.WithChildren(
			supervisor.Child{Name: "plain", Actor: idle},
			supervisor.Child{Name: "gated", Actor: signals, WaitReady: true},
			supervisor.Child{Name: "sub", Actor: sub},
		))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- root.Run(ctx) }()
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		slices.Sort(ready)
		if want := []string{"root/gated", "root/sub"}; !slices.Equal(ready, want) {
			t.Errorf("ready events for %q, want %q", ready, want)
		}
	})
}
