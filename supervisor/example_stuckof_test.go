package supervisor_test

import (
	"context"
	"fmt"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// ExampleStuckOf reads the stuck report of a run whose child did not stop
// within its shutdown timeout, without calling any method of the
// children's errors.
func ExampleStuckOf() {
	release := make(chan struct{})
	defer close(release)
	root, _ := supervisor.New("root", supervisor.WithChildren(supervisor.Child{
		Name:            "slow",
		ShutdownTimeout: time.Millisecond,
		Actor: actor.Func(func(context.Context) error {
			<-release // ignores its context
			return nil
		}),
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if stuck := supervisor.StuckOf(root.Run(ctx)); stuck != nil {
		fmt.Println(stuck.Stuck[0].Path)
	}
	// Output: root/slow
}
