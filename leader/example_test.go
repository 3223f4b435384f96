package leader_test

import (
	"context"
	"fmt"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
)

// Two replicas of one tree, in one process for the example, share an
// election (in memory here; etcd or a Kubernetes Lease in production).
// Only the leader runs the scheduler; the other waits, ready. When the
// leader's tree stops, it resigns after its scheduler returned, and the
// other takes over.
func Example() {
	election := leadertest.NewElection(leader.Timing{TTL: time.Second, RenewDeadline: 500 * time.Millisecond})
	leading := make(chan string)
	replica := func(name string) *supervisor.Supervisor {
		scheduler := actor.Func(func(ctx context.Context) error {
			token, _ := leader.TokenFrom(ctx)
			leading <- fmt.Sprintf("%s schedules (token %d)", name, token)
			<-ctx.Done()
			return nil
		})
		single, err := leader.New(leader.Config{
			Election:  "scheduler",
			Elector:   election.Candidate(name),
			Actor:     scheduler,
			StopBound: 200 * time.Millisecond, // < TTL - renew deadline - drift margin (100ms)
		})
		if err != nil {
			panic(err)
		}
		sup, err := supervisor.New(name, supervisor.WithChildren(single.Child("scheduler")))
		if err != nil {
			panic(err)
		}
		return sup
	}

	a, b := replica("a"), replica("b")
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan error)
	go func() { doneA <- a.Run(ctxA) }()
	fmt.Println(<-leading)

	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan error)
	go func() { doneB <- b.Run(ctxB) }()
	if err := b.WaitReady(context.Background()); err != nil {
		panic(err)
	}
	fmt.Printf("b is ready: %q\n", b.Snapshot().Children[0].Status)

	stopA()
	fmt.Println("a stopped:", <-doneA)
	fmt.Println(<-leading)
	stopB()
	fmt.Println("b stopped:", <-doneB)
	// Output:
	// a schedules (token 1)
	// b is ready: "waiting for leadership"
	// a stopped: <nil>
	// b schedules (token 2)
	// b stopped: <nil>
}
