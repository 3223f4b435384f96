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

// Run calls execute, interrupting it through interrupt when ctx is
// cancelled; see FromRun.
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

// ToRun adapts a to the execute and interrupt pair of a
// github.com/oklog/run.Group, so that an actor (a whole supervision tree, for
// example) can join an existing group:
//
//	execute, interrupt := actor.ToRun(ctx, sup)
//	g.Add(execute, interrupt)
//
// execute runs a with a context derived from ctx; interrupt cancels that
// context with the error it is given as the cause (or context.Canceled when
// that error is nil), and makes execute return once a does. interrupt may be
// called before, during or after execute, any number of times.
func ToRun(ctx context.Context, a Actor) (execute func() error, interrupt func(error)) {
	runCtx, cancel := context.WithCancelCause(ctx)
	execute = func() error {
		defer cancel(nil)
		return a.Run(runCtx)
	}
	interrupt = func(err error) {
		if err == nil {
			err = context.Canceled
		}
		cancel(err)
	}
	return execute, interrupt
}
