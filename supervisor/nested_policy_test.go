package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// TestEscalateSentinelStopsAtParentPolicy checks that policy.ErrEscalate in
// a leaf's error makes its own supervisor give up at once, while the parent
// applies its own policy to that escalation: it restarts the subtree
// instead of escalating too.
func TestEscalateSentinelStopsAtParentPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		leaf := actor.Func(func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				return fmt.Errorf("corrupt state: %w", policy.ErrEscalate)
			}
			<-ctx.Done()
			return nil
		})
		inner, err := supervisor.New("inner", supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: leaf}))
		if err != nil {
			t.Fatal(err)
		}
		var restarts atomic.Int32
		root, err := supervisor.New("root",
			supervisor.WithChildren(supervisor.Child{Name: "inner", Actor: inner}),
			supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
				if e.Kind == supervisor.EventRestarting && e.Path == "root/inner" {
					var esc *supervisor.EscalationError
					if !errors.As(e.Err, &esc) || esc.Reason != "decider" || esc.Origin != "root/inner/leaf" {
						t.Errorf("restart cause = %v", e.Err)
					}
					restarts.Add(1)
				}
			})))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- root.Run(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		if got := runs.Load(); got != 2 {
			t.Fatalf("leaf ran %d times, want 2 (the subtree restarted once)", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil: the root must not escalate", err)
		}
		if got := restarts.Load(); got != 1 {
			t.Fatalf("root restarted inner %d times, want 1", got)
		}
	})
}
