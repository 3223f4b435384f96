package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// A worker proves it is alive with actor.Beat. Its first incarnation gets
// stuck after one beat: 500ms later the supervisor finds it hung, records
// the hang with the worker's stacks, cancels it and, once it has returned,
// restarts it; the next incarnation beats as it works.
func ExampleLiveness() {
	events := make(chan supervisor.Event, 64)
	var runs atomic.Int32
	worker := actor.Func(func(ctx context.Context) error {
		first := runs.Add(1) == 1
		for {
			actor.Beat(ctx)
			if first {
				<-ctx.Done() // stuck on something only the cancellation ends
				return ctx.Err()
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(10 * time.Millisecond): // a unit of work
			}
		}
	})
	sup, err := supervisor.New("root",
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventHung || e.Kind == supervisor.EventRestarting {
				events <- e
			}
		})),
		supervisor.WithChildren(supervisor.Child{Name: "worker", Actor: worker,
			Liveness: &supervisor.Liveness{Timeout: 500 * time.Millisecond}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()

	for range 2 {
		e := <-events
		fmt.Println(e.Kind, e.Path, "-", e.ErrText)
		var hung *supervisor.HungError
		if errors.As(e.Err, &hung) && e.Kind == supervisor.EventHung {
			fmt.Println("stack recorded:", hung.Stack != "", "- is ErrHung:", errors.Is(e.Err, supervisor.ErrHung))
		}
	}
	cancel()
	fmt.Println("Run:", <-done, "- hangs:", sup.Counters().Hangs)
	// Output:
	// hung root/worker - hung: no beat for 500ms
	// stack recorded: true - is ErrHung: true
	// restarting root/worker - hung: no beat for 500ms
	// Run: <nil> - hangs: 1
}
