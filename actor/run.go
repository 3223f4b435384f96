package actor

import (
	"context"
	"errors"
)

// ErrInterruptGoexit is the error of a FromRun incarnation whose interrupt
// called runtime.Goexit: Run returns an error that wraps it (and execute's
// error, if any).
var ErrInterruptGoexit = errors.New("actor: interrupt called runtime.Goexit")

// ErrExecuteAborted is what a FromRun adapter passes to interrupt when execute
// panicked or called runtime.Goexit instead of returning. The panic value is
// not included: getting it would mean recovering the panic, and the panic's
// stack, which the supervisor records, would be lost.
var ErrExecuteAborted = errors.New("actor: execute panicked or called runtime.Goexit")

// FromRun adapts an actor written for github.com/oklog/run, given as its
// execute and interrupt functions, to an Actor.
//
// Run calls execute and returns what it returns. It keeps the contract of
// run.Group: interrupt is called exactly once per Run call, always in a
// goroutine of its own, and Run does not return before it has finished.
//
//   - When ctx is cancelled while execute runs, interrupt is called with
//     context.Cause(ctx); it must make execute return.
//   - When execute returns by itself first, interrupt is called with
//     execute's error (nil included), as run.Group interrupts every actor
//     once the first one returns; actors clean up there.
//   - When execute panics or calls runtime.Goexit, interrupt is called with
//     ErrExecuteAborted, and once it has finished the panic or Goexit goes on.
//
// A failure of interrupt is the incarnation's failure, never a crash of the
// process: if interrupt panics, the panic is recovered in interrupt's
// goroutine and, once execute has returned, Run panics with the same value in
// its own goroutine, where its supervisor recovers it; if interrupt calls
// runtime.Goexit, Run returns an error wrapping ErrInterruptGoexit and
// execute's error. A panic or Goexit of execute takes precedence over either.
// An interrupt that fails while ctx is cancelled may leave execute running:
// Run still waits for execute, as it must.
//
// Both functions must be non-nil. If either is nil, the returned actor's
// Validate method reports ErrNilFunc (supervisors call it when the child is
// added, so the mistake surfaces at construction) and its Run returns
// ErrNilFunc at once, calling neither.
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

// Run calls execute and interrupt once each; see FromRun.
func (a runActor) Run(ctx context.Context) (err error) {
	if err := a.Validate(); err != nil {
		return err
	}
	call := &interruptCall{done: make(chan struct{})}
	stop := context.AfterFunc(ctx, func() { call.run(a.interrupt, context.Cause(ctx)) })
	returned := false
	// Deferred, so that it runs when execute panics or calls Goexit too.
	defer func() {
		cause := err
		if !returned {
			cause = ErrExecuteAborted
		}
		if stop() { // ctx was not cancelled: interrupt is ours to call
			go call.run(a.interrupt, cause)
		}
		<-call.done
		if !returned {
			return // execute's panic or Goexit goes on
		}
		switch {
		case call.panicked:
			panic(call.value)
		case call.goexit:
			err = interruptGoexit(err)
		}
	}()
	err = a.execute()
	returned = true
	return err
}

// interruptCall is the one call of interrupt of one Run. run writes the
// outcome fields, then closes done; they are read only after done is closed.
type interruptCall struct {
	done     chan struct{}
	panicked bool // interrupt panicked with value
	value    any
	goexit   bool // interrupt called runtime.Goexit
}

// run calls interrupt(cause) and records how it ended. It is called on a
// goroutine of its own, which a Goexit in interrupt ends (after run's
// deferred call has recorded it).
func (c *interruptCall) run(interrupt func(error), cause error) {
	returned := false
	defer func() {
		if !returned {
			// recover returns nil for a Goexit (and for panic(nil) under
			// GODEBUG=panicnil=1, which then counts as a Goexit).
			if v := recover(); v != nil {
				c.panicked, c.value = true, v
			} else {
				c.goexit = true
			}
		}
		close(c.done)
	}()
	interrupt(cause)
	returned = true
}

// interruptGoexit returns the error of a Run whose interrupt called
// runtime.Goexit after execute returned err.
func interruptGoexit(err error) error {
	if err == nil {
		return ErrInterruptGoexit
	}
	return &interruptGoexitError{err: err}
}

// interruptGoexitError wraps ErrInterruptGoexit and execute's error. Its
// Error method calls execute's error's only when it is itself called, never
// inside Run.
type interruptGoexitError struct{ err error }

func (e *interruptGoexitError) Error() string {
	return ErrInterruptGoexit.Error() + "; execute returned: " + e.err.Error()
}

func (e *interruptGoexitError) Unwrap() []error { return []error{ErrInterruptGoexit, e.err} }

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
