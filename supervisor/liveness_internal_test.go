package supervisor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
)

// A run none of whose children has a Liveness starts no checker, and
// children without one get no liveness state; the first child with one,
// even one added at run time, starts the checker, which is then found hung.
func TestTheLivenessCheckerStartsOnlyWithAChildThatHasALiveness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		idle := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		s, err := New("root", WithChildren(Child{Name: "a", Actor: idle}, Child{Name: "b", Actor: idle}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		dogOf := func() *watchdog {
			s.mu.Lock()
			defer s.mu.Unlock()
			for c := s.r.first; c != nil; c = c.next {
				if c.spec.Liveness == nil && c.x != nil && c.x.live != nil {
					t.Errorf("%s has liveness state without a Liveness", c.path)
				}
			}
			return s.r.dog
		}
		if dogOf() != nil {
			t.Fatal("a checker runs though no child has a Liveness")
		}
		if err := s.Add(Child{Name: "w", Actor: idle, Liveness: &Liveness{Timeout: time.Second}}); err != nil {
			t.Fatal(err)
		}
		if dogOf() == nil {
			t.Fatal("no checker once a child with a Liveness was added")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if c := s.Counters(); c.Hangs != 1 {
			t.Errorf("Hangs = %d after the added child missed its deadline, want 1", c.Hangs)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
