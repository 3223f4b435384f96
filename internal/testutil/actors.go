package testutil

import (
	"context"

	"github.com/arbor-go/arbor/actor"
)

// Blocker is an actor that runs until its context is cancelled and then
// returns nil. It does not call actor.Ready: a WaitReady child made of it
// never becomes ready.
var Blocker actor.Func = func(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// FailOn returns an actor that is ready at once, then runs until its
// context is cancelled (returning nil) or until an error is sent on fail,
// which it returns: a failure the test injects when it wants, one per
// incarnation. Supervisortest's scripted actors fail on a schedule; FailOn
// fails on demand, from outside the tree.
func FailOn(fail <-chan error) actor.Func {
	return func(ctx context.Context) error {
		actor.Ready(ctx)
		select {
		case err := <-fail:
			return err
		case <-ctx.Done():
			return nil
		}
	}
}
