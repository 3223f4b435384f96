package actor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/arbor-go/arbor/actor"
)

// A child that fans its work out to goroutines of its own. The first
// failure cancels the others; Run returns it only after all of them
// returned, so that under a supervisor the next incarnation never meets a
// goroutine of this one.
func ExampleGroupFunc() {
	jobs := []string{"a", "b", "bad", "c"}
	worker := actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
		g.SetLimit(2)
		for _, job := range jobs {
			g.Go(func() error {
				if job == "bad" {
					return fmt.Errorf("job %s: %w", job, errors.ErrUnsupported)
				}
				return ctx.Err() // real work would watch ctx as it goes
			})
		}
		return nil
	})
	err := worker.Run(context.Background())
	fmt.Println(err)
	// Output: job bad: unsupported operation
}

// RunGroup gives an actor that has work of its own a group for its
// goroutines: here a producer and a consumer that stop together.
func ExampleRunGroup() {
	var sum int
	err := actor.RunGroup(context.Background(), func(ctx context.Context, g *actor.Group) error {
		ch := make(chan int)
		g.Go(func() error {
			defer close(ch)
			for i := 1; i <= 4; i++ {
				select {
				case ch <- i:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		g.Go(func() error {
			for v := range ch {
				sum += v
			}
			return nil
		})
		actor.Ready(ctx) // the group's context carries readiness and status
		return nil
	})
	fmt.Println(sum, err)
	// Output: 10 <nil>
}
