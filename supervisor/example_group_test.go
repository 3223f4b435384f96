package supervisor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// Under OneForAll, one failure restarts every child. The events of the
// group restart name the child whose failure caused it (Origin); the
// sibling's stop is counted apart from shutdowns (ExitsGroup), and each
// child restarted counts one restart.
func ExampleEvent_origin() {
	again := make(chan struct{})
	runs := 0
	db := actor.Func(func(ctx context.Context) error {
		runs++
		if runs == 1 {
			return errors.New("connection reset")
		}
		close(again)
		<-ctx.Done()
		return nil
	})
	cache := actor.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})
	var lines []string // written by the observer's goroutine, read once Run returned
	show := supervisor.ObserverFunc(func(e supervisor.Event) {
		switch e.Kind {
		case supervisor.EventRestarting, supervisor.EventStopped:
			lines = append(lines, fmt.Sprintf("%s %s (origin %q)", e.Kind, e.Path, e.Origin))
		}
	})
	sup, err := supervisor.New("root",
		supervisor.WithStrategy(policy.OneForAll),
		supervisor.WithObserver(show),
		supervisor.WithChildren(
			supervisor.Child{Name: "cache", Actor: cache},
			supervisor.Child{Name: "db", Actor: db},
		))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-again
	c := sup.Counters()
	fmt.Printf("restarts %d, exits with the group %d, shutdown exits %d\n", c.Restarts, c.ExitsGroup, c.ExitsShutdown)
	cancel()
	if err := <-done; err != nil { // every event is delivered once Run returned
		panic(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// restarts 2, exits with the group 1, shutdown exits 0
	// restarting root/db (origin "root/db")
	// stopped root/cache (origin "root/db")
	// stopped root/db (origin "")
	// stopped root/cache (origin "")
}
