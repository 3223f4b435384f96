package supervisor_test

import (
	"context"
	"fmt"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// A tool attached to a running tree with Subscribe ends with the run: Done
// is closed once the run's shutdown is over, when every event of the run
// has been sent.
func ExampleSupervisor_Done() {
	idle := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	sup, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "worker", Actor: idle}))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- sup.Run(ctx) }()
	if err := sup.WaitReady(context.Background()); err != nil {
		panic(err)
	}
	sub, err := sup.Subscribe(16)
	if err != nil {
		panic(err)
	}
	defer sub.Close()
	done := sup.Done()

	cancel()
	for {
		select {
		case e := <-sub.Events():
			fmt.Println(e.Kind, e.Path)
			continue
		case <-done:
		}
		break
	}
	for len(sub.Events()) > 0 { // sent before Done was closed
		e := <-sub.Events()
		fmt.Println(e.Kind, e.Path)
	}
	fmt.Println("the run is over:", <-ran)
	// Output:
	// shutdown root
	// stopped root/worker
	// the run is over: <nil>
}
