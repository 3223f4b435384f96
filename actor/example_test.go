package actor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/arbor-go/arbor/actor"
)

func ExampleFunc() {
	worker := actor.Func(func(ctx context.Context) error {
		fmt.Println("working")
		return nil
	})
	fmt.Println("Run:", worker.Run(context.Background()))

	var missing actor.Func
	fmt.Println("Validate:", missing.Validate())
	// Output:
	// working
	// Run: <nil>
	// Validate: actor: nil function
}

func ExampleFromRun() {
	started, stop := make(chan struct{}), make(chan struct{})
	a := actor.FromRun(
		func() error { // execute
			close(started)
			<-stop
			fmt.Println("execute returns")
			return errors.New("server closed")
		},
		func(cause error) { // interrupt, called once the context is cancelled
			fmt.Println("interrupt:", cause)
			close(stop)
		},
	)

	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-started
		cancel(errors.New("shutting down"))
	}()
	fmt.Println("Run:", a.Run(ctx))
	// Output:
	// interrupt: shutting down
	// execute returns
	// Run: server closed
}

// An execute that returns by itself still gets its interrupt, with its own
// error, as in a run.Group: the actor cleans up there.
func ExampleFromRun_executeReturns() {
	a := actor.FromRun(
		func() error { // execute
			fmt.Println("execute returns")
			return errors.New("done early")
		},
		func(err error) { // interrupt
			fmt.Println("interrupt:", err)
		},
	)
	fmt.Println("Run:", a.Run(context.Background()))
	// Output:
	// execute returns
	// interrupt: done early
	// Run: done early
}

func ExampleReady() {
	server := actor.Func(func(ctx context.Context) error {
		fmt.Println("listening")
		actor.Ready(ctx) // tell whoever waits that we can serve
		fmt.Println("serving")
		return nil
	})

	// A supervisor waiting for readiness runs the actor with WithReady.
	ctx := actor.WithReady(context.Background(), func() { fmt.Println("notified: ready") })
	_ = server.Run(ctx)

	// Without WithReady, Ready is a no-op.
	_ = server.Run(context.Background())
	// Output:
	// listening
	// notified: ready
	// serving
	// listening
	// serving
}
