package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// worker is ready at once and works until it is stopped.
var worker = actor.Func(func(ctx context.Context) error {
	actor.Ready(ctx)
	<-ctx.Done()
	return nil
})

// A pool grows and shrinks at run time. Add returns once the worker is
// ready; Remove once it has stopped. The snapshot prints the live tree.
func ExampleSupervisor_Add() {
	pool, _ := supervisor.New("pool", supervisor.WithMaxChildren(2))
	root, _ := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "pool", Actor: pool},
	))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- root.Run(actor.WithReady(ctx, sync.OnceFunc(func() { close(ready) }))) }()
	<-ready // the root calls Ready on its context once its children started

	for _, name := range []string{"tenant-a", "tenant-b", "tenant-c"} {
		err := pool.Add(supervisor.Child{Name: name, Actor: worker, WaitReady: true})
		if errors.Is(err, supervisor.ErrMaxChildren) {
			fmt.Println(name, "refused: the pool is full")
		}
	}
	if err := pool.Remove("tenant-a"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(root.Snapshot())
	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// tenant-c refused: the pool is full
	// root [supervisor running ready]
	//   pool [supervisor running ready restarts=0]
	//     tenant-b [worker running ready restarts=0]
	// Run: <nil>
}
