package actor

import "context"

// FromRun adapts an actor written for github.com/oklog/run, given as its
// execute and interrupt functions, to an Actor.
//
// Run calls execute and returns what it returns. When ctx is cancelled while
// execute is running, interrupt is called exactly once, in its own
// goroutine, with context.Cause(ctx); it must make execute return. If execute
// returns first, interrupt is never called. Run does not return while an
// interrupt it started is still running.
//
// Both functions must be non-nil. If either is nil, the returned actor's
// Validate method reports ErrNilFunc (supervisors call it when the child is
// added, so the mistake surfaces at construction) and its Run returns
// ErrNilFunc at once.
func FromRun(execute func() error, interrupt func(error)) Actor {
	return runActor{execute: execute, interrupt: interrupt}
}

type runActor struct {
	execute   func() error
	interrupt func(error)
}

// Validate reports ErrNilFunc if execute or interrupt is nil.
func (a runActor) Validate() error {
	if a.execute == nil || a.interrupt == nil {
		return ErrNilFunc
	}
	return nil
}

func (a runActor) Run(ctx context.Context) error {
	if err := a.Validate(); err != nil {
		return err
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		a.interrupt(context.Cause(ctx))
	})
	// Deferred, so that a panic or Goexit in execute also disarms interrupt:
	// no interrupt may run after Run has returned.
	defer func() {
		if !stop() {
			<-done // interrupt was started: wait for it to finish
		}
	}()
	return a.execute()
}
