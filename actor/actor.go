// Package actor defines what a supervisor runs: anything with a
// Run(ctx) error method.
//
// The contract of an Actor is small and exact:
//
//   - Run blocks while the actor works and returns when it is done.
//   - Returning nil means the work ended normally; returning an error means it
//     failed. A panic counts as a failure.
//   - When ctx is cancelled the actor must stop promptly and return. What it
//     returns then does not matter to its supervisor, which asked it to stop.
//     context.Cause(ctx) says why.
//   - Run must not keep goroutines running after it returns, and must not
//     return with its OS thread locked: its supervisor may run the next
//     incarnation on the same goroutine. Goroutines an incarnation starts
//     itself belong in a Group (RunGroup, GroupFunc): an errgroup
//     (golang.org/x/sync) bound to the incarnation, joined before Run
//     returns, whose first failure is the incarnation's, and whose panics
//     are raised again on Run's goroutine as a *PanicError that keeps the
//     stack of the goroutine that panicked.
//   - An actor that other work depends on calls Ready(ctx) once it can serve;
//     a supervisor that was told to wait starts the next child only then.
//   - An actor may publish a short text saying what it is doing with
//     SetStatus(ctx, text); its supervisor shows it beside the child's state.
//   - An actor that can hang while it still runs (a deadlock, a read with no
//     deadline) proves it is alive by calling Beat(ctx) from the loop that
//     does its work; a supervisor that gave it a liveness deadline restarts
//     it when the beats stop.
//
// Package actor knows nothing of supervisors: it holds the contract, the
// readiness, status and heartbeat signals, the Group a child uses for its own
// goroutines and adapters for plain functions and for github.com/oklog/run
// actors.
package actor

import (
	"context"
	"errors"
)

// ErrNilFunc is returned by Validate (and by Run) of an adapter built from a
// nil function.
var ErrNilFunc = errors.New("actor: nil function")

// Validator is implemented by actors that can check their own configuration.
// Supervisors call Validate when a child is added and reject the child if it
// returns an error.
type Validator interface {
	Validate() error
}

// Actor is a unit of supervised work. See the package documentation for the
// contract Run must keep.
type Actor interface {
	Run(ctx context.Context) error
}

// Func adapts a plain function to an Actor.
type Func func(ctx context.Context) error

// Run calls f(ctx). It returns ErrNilFunc if f is nil.
func (f Func) Run(ctx context.Context) error {
	if f == nil {
		return ErrNilFunc
	}
	return f(ctx)
}

// Validate reports ErrNilFunc if f is nil.
func (f Func) Validate() error {
	if f == nil {
		return ErrNilFunc
	}
	return nil
}

type readyKey struct{}

// Ready tells whoever waits on ctx that the calling actor can now serve. It
// is meant to be called from inside Run with Run's context. It is a no-op
// when nobody waits for readiness, and safe to call more than once.
func Ready(ctx context.Context) {
	if ctx == nil {
		return
	}
	if f, ok := ctx.Value(readyKey{}).(func()); ok && f != nil {
		f()
	}
}

// Waiting reports whether Ready(ctx) would notify someone: whether a
// notify function was set with WithReady on ctx or a context it derives
// from (and not hidden by a nil one). It calls nothing.
func Waiting(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	f, ok := ctx.Value(readyKey{}).(func())
	return ok && f != nil
}

// WithReady returns a copy of parent on which Ready calls notify. It is how a
// supervisor waits for a child's readiness: it runs the child with the
// returned context and waits for notify to be called. notify must be safe to
// call more than once and from any goroutine; Ready calls it synchronously,
// so it must not block.
//
// A context derived from the returned one reaches notify too. WithReady with
// a nil notify hides any notify of parent, so that Ready becomes a no-op.
func WithReady(parent context.Context, notify func()) context.Context {
	return context.WithValue(parent, readyKey{}, notify)
}
