package supervisor_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Done is closed while no run is in progress, and otherwise closes when the
// run's shutdown is over, before Run returns; each run has its own.
func TestDoneClosesWhenTheRunEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stopping := make(chan struct{})
		slow := actor.Func(func(ctx context.Context) error {
			<-ctx.Done()
			<-stopping // the shutdown waits for this child
			return nil
		})
		sup, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "slow", Actor: slow}))
		if err != nil {
			t.Fatal(err)
		}
		if !isClosed(sup.Done()) {
			t.Fatal("Done of a supervisor never run is not closed")
		}
		for run := 1; run <= 2; run++ {
			ctx, cancel := context.WithCancel(t.Context())
			ran := make(chan error, 1)
			go func() { ran <- sup.Run(ctx) }()
			if err := sup.WaitReady(t.Context()); err != nil {
				t.Fatal(err)
			}
			done := sup.Done()
			if isClosed(done) {
				t.Fatalf("run %d: Done closed while running", run)
			}
			cancel()
			synctest.Wait()
			if isClosed(done) {
				t.Fatalf("run %d: Done closed while a child is still stopping", run)
			}
			stopping <- struct{}{}
			if err := <-ran; err != nil {
				t.Fatal(err)
			}
			if !isClosed(done) || !isClosed(sup.Done()) {
				t.Fatalf("run %d: Done not closed after Run returned", run)
			}
		}
	})
}
