package supervisor_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// item is what the producer of pipelineRun sends: the producer incarnation
// that made it, and its number.
type item struct{ gen, seq int64 }

// pipelineRun runs a one-for-all producer/consumer pair for 10 s of virtual
// time: the producer fills a buffered channel of 8 and fails after 20
// items; the consumer is slow. With shared, the channel comes from
// WithShared; without, from the old recipe: made in WithInit, which adds
// both children with that channel. It returns how many items the consumer
// got, and how many of them were made by a producer incarnation other than
// the one started with the consumer (items that crossed a group restart).
func pipelineRun(t *testing.T, shared bool) (got, stale int) {
	var gen atomic.Int64
	producer := func(channel func(context.Context) chan item) actor.Func {
		return func(ctx context.Context) error {
			g := gen.Add(1)
			actor.Ready(ctx) // the consumer starts once gen is this incarnation's
			ch := channel(ctx)
			for seq := int64(1); seq <= 20; seq++ {
				select {
				case ch <- item{g, seq}:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return errors.New("producer failed")
		}
	}
	consumer := func(channel func(context.Context) chan item) actor.Func {
		return func(ctx context.Context) error {
			want := gen.Load() // the producer started just before, in the same group start
			ch := channel(ctx)
			for {
				select {
				case it := <-ch:
					got++
					if it.gen != want {
						stale++
					}
					time.Sleep(100 * time.Millisecond) // a slow consumer
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
	opts := []supervisor.Option{supervisor.WithStrategy(policy.OneForAll),
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited})}
	if shared {
		fromShared := func(ctx context.Context) chan item { return supervisor.Shared(ctx).(chan item) }
		opts = append(opts, supervisor.WithShared(func() any { return make(chan item, 8) }),
			supervisor.WithChildren(
				supervisor.Child{Name: "producer", Actor: producer(fromShared), WaitReady: true},
				supervisor.Child{Name: "consumer", Actor: consumer(fromShared)},
			))
	} else {
		opts = append(opts, supervisor.WithInit(func(_ context.Context, s *supervisor.Supervisor) error {
			ch := make(chan item, 8)
			fixed := func(context.Context) chan item { return ch }
			if err := s.Add(supervisor.Child{Name: "producer", Actor: producer(fixed), WaitReady: true}); err != nil {
				return err
			}
			return s.Add(supervisor.Child{Name: "consumer", Actor: consumer(fixed)})
		}))
	}
	sup := ssNew(t, "pipeline", opts...)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := sup.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	return got, stale
}

// TestSharedNoItemCrossesGroupRestart: with WithShared, every group restart
// makes a fresh channel, so the consumer never reads an item of a dead
// producer; the old recipe (a channel made in WithInit, once per run) lets
// stale items through, which the same check catches.
func TestSharedNoItemCrossesGroupRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got, stale := pipelineRun(t, true)
		if got < 50 || stale != 0 {
			t.Errorf("WithShared: consumer got %d items, %d stale; want at least 50, none stale", got, stale)
		}
		got, stale = pipelineRun(t, false)
		if stale == 0 {
			t.Errorf("old recipe: consumer got %d items, none stale; the check cannot fail", got)
		}
		t.Logf("old recipe: %d items, %d stale", got, stale)
	})
}

// TestSharedWhatEachStartSees: the state is made fresh by the first start,
// each OneForAll restart and a RestForOne restart from the first child;
// a RestForOne restart of a later child, a manual Restart and an Add join
// the current state; a panic in newState fails the first start.
func TestSharedWhatEachStartSees(t *testing.T) {
	type probe struct{ n int }
	run := func(t *testing.T, strategy policy.Strategy, steps func(sup *supervisor.Supervisor, fail func(name string)), want map[string][]int) {
		synctest.Test(t, func(t *testing.T) {
			made := 0
			var mu sync.Mutex
			seen := map[string][]int{}
			fails := map[string]chan struct{}{"a": make(chan struct{}, 1), "b": make(chan struct{}, 1), "c": make(chan struct{}, 1)}
			worker := func(name string) supervisor.Child {
				return supervisor.Child{Name: name, Actor: actor.Func(func(ctx context.Context) error {
					mu.Lock()
					seen[name] = append(seen[name], supervisor.Shared(ctx).(*probe).n)
					mu.Unlock()
					select {
					case <-fails[name]:
						return errors.New("fail")
					case <-ctx.Done():
						return nil
					}
				})}
			}
			sup := ssNew(t, "root", supervisor.WithStrategy(strategy),
				supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
				supervisor.WithShared(func() any { made++; return &probe{made} }),
				supervisor.WithChildren(worker("a"), worker("b")))
			ctx, cancel := context.WithCancel(t.Context())
			done := ssGo(ctx, sup)
			synctest.Wait()
			steps(sup, func(name string) { fails[name] <- struct{}{}; synctest.Wait() })
			if err := sup.Add(worker("c")); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				if got := seen[name]; !equalInts(got, w) {
					t.Errorf("%s saw states %v, want %v", name, got, w)
				}
			}
		})
	}
	t.Run("one for all", func(t *testing.T) {
		run(t, policy.OneForAll, func(sup *supervisor.Supervisor, fail func(string)) {
			fail("b")                                // a group restart: fresh state for both
			if err := sup.Restart("a"); err != nil { // manual: joins state 2
				t.Error(err)
			}
			synctest.Wait()
		}, map[string][]int{"a": {1, 2, 2}, "b": {1, 2}, "c": {2}})
	})
	t.Run("rest for one", func(t *testing.T) {
		run(t, policy.RestForOne, func(sup *supervisor.Supervisor, fail func(string)) {
			fail("b") // a later child: a keeps running on state 1, b joins it
			fail("a") // from the first child: fresh state 2 for both
		}, map[string][]int{"a": {1, 2}, "b": {1, 1, 2}, "c": {2}})
	})
	t.Run("panic fails the first start", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			sup := ssNew(t, "root", supervisor.WithShared(func() any { panic("no state today") }))
			err := sup.Run(t.Context())
			var se *supervisor.StartError
			if !errors.As(err, &se) || se.Child != "root/(shared)" {
				t.Fatalf("Run = %v, want a *StartError for root/(shared)", err)
			}
		})
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
