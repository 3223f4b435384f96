package actor_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/arbor-go/arbor/actor"
)

// An actor beats from the loop that does its work. Under a supervisor that
// gave the child a liveness deadline (supervisor.Liveness), each beat
// stores its time, and the child is restarted when the beats stop; here a
// plain function stands in for the supervisor.
func ExampleBeat() {
	var beats atomic.Int32
	ctx := actor.WithBeat(context.Background(), func() { beats.Add(1) })
	work := actor.Func(func(ctx context.Context) error {
		for range 3 { // three units of work
			actor.Beat(ctx)
		}
		return nil
	})
	_ = work.Run(ctx)
	fmt.Println("beats:", beats.Load(), "watched:", actor.Watched(ctx), actor.Watched(context.Background()))
	// Output: beats: 3 watched: true false
}
