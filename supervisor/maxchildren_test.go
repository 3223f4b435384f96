package supervisor_test

import (
	"context"
	"errors"
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

func blockUntilDone(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// TestMaxChildrenUnderConcurrency races 32 Adds against a limit of 5:
// exactly 5 succeed, the rest get ErrMaxChildren, and the snapshot agrees.
// A child waiting out its backoff keeps its slot.
func TestMaxChildrenUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var failures atomic.Int32
		flaky := actor.Func(func(ctx context.Context) error {
			failures.Add(1)
			return errors.New("down")
		})
		sup, err := supervisor.New("root", supervisor.WithMaxChildren(5),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: flaky,
				Backoff: &policy.Backoff{Initial: time.Hour}}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		synctest.Wait()
		if info := sup.Children(); len(info) != 1 || info[0].State != supervisor.StateBackoff {
			t.Fatalf("children = %+v, want flaky in backoff", info)
		}

		var ok, full atomic.Int32
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Go(func() {
				err := sup.Add(supervisor.Child{Name: "w" + strconv.Itoa(i), Actor: actor.Func(blockUntilDone)})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, supervisor.ErrMaxChildren):
					full.Add(1)
				default:
					t.Errorf("Add: %v", err)
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		if ok.Load() != 4 || full.Load() != 28 {
			t.Fatalf("added %d, refused %d; want 4 and 28 (flaky keeps its slot in backoff)", ok.Load(), full.Load())
		}
		info := sup.Children()
		seen := map[string]bool{}
		for _, c := range info {
			if seen[c.Name] {
				t.Fatalf("duplicate child %q", c.Name)
			}
			seen[c.Name] = true
		}
		if len(info) != 5 || !seen["flaky"] {
			t.Fatalf("children = %d (%v), want 5 with flaky", len(info), seen)
		}
		// Removing one frees its slot for exactly one more Add.
		if err := sup.Remove(info[1].Name); err != nil {
			t.Fatal(err)
		}
		if err := sup.Add(supervisor.Child{Name: "late", Actor: actor.Func(blockUntilDone)}); err != nil {
			t.Fatalf("Add after Remove: %v", err)
		}
		if err := sup.Add(supervisor.Child{Name: "later", Actor: actor.Func(blockUntilDone)}); !errors.Is(err, supervisor.ErrMaxChildren) {
			t.Fatalf("Add beyond the limit: %v, want ErrMaxChildren", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if failures.Load() != 1 {
			t.Fatalf("flaky ran %d times, want 1 (an hour of backoff)", failures.Load())
		}
	})
}
