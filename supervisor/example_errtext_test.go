package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// An observer reads an event's error text from ErrText, taken once when the
// child's error was received, rather than calling Err.Error() again.
func ExampleEvent_errText() {
	var runs atomic.Int32
	job := actor.Func(func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			return errors.New("dial tcp: connection refused")
		}
		return nil // done: the supervisor shuts down
	})
	logErrors := supervisor.ObserverFunc(func(e supervisor.Event) {
		if e.Err != nil && e.Child != "" {
			fmt.Printf("%s %s: %s\n", e.Kind, e.Path, e.ErrText)
		}
	})
	sup, err := supervisor.New("root",
		supervisor.WithObserver(logErrors),
		supervisor.WithAutoShutdown(policy.AnySignificant),
		supervisor.WithChildren(supervisor.Child{Name: "job", Actor: job, Restart: policy.Transient, Significant: true}))
	if err != nil {
		panic(err)
	}
	fmt.Println("Run:", sup.Run(context.Background()))
	// Output:
	// failed root/job: dial tcp: connection refused
	// restarting root/job: dial tcp: connection refused
	// Run: <nil>
}
