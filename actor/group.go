package actor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// ErrGoexit is the failure of a Group one of whose goroutines called
// runtime.Goexit (or panicked with nil under GODEBUG=panicnil=1, which a
// recover cannot tell apart).
var ErrGoexit = errors.New("actor: runtime.Goexit in a goroutine of a group")

// errBodyLeft cancels a Group whose body panicked or called runtime.Goexit:
// its goroutines are stopped and joined before the panic or the Goexit goes
// on.
var errBodyLeft = errors.New("actor: the body of a group panicked or called runtime.Goexit")

// maxPanicStack caps the stack a PanicError keeps, as supervisors cap the
// stacks of the panics they recover.
const maxPanicStack = 16 << 10

// PanicError carries a panic from a goroutine of a Group to the goroutine
// that runs the group's body, the incarnation's own goroutine, where
// RunGroup raises it again once every goroutine of the group has returned.
// It is the value of that second panic, so that whoever recovers it (a
// supervisor) can report the value and the stack of the goroutine that
// really panicked, rather than the stack of the one that raised it again.
// A supervisor that recovers a *PanicError reports its Value and Stack as
// the child's panic.
type PanicError struct {
	Value any    // what the goroutine panicked with
	Stack []byte // that goroutine's stack where it panicked, at most 16 KiB
}

// Error returns the panic value and the stack of the goroutine that
// panicked: when the panic ends the process, this is what it prints, and
// the stack of the goroutine that raised it again says little.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic in a goroutine of a group: %v [recovered and raised again]\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Group is the scope of the goroutines that one incarnation of an actor
// starts itself: an errgroup.Group (golang.org/x/sync) bound to the
// incarnation, with the semantics that suit work done together.
//
//   - Every goroutine started with Go or TryGo is joined before the
//     incarnation ends: RunGroup (and so a GroupFunc's Run) returns only
//     after all of them returned, even when the body panics.
//   - The first failure (an error returned by the body or by one of the
//     goroutines, a panic, a runtime.Goexit) cancels the context the body
//     was given, with that failure as its cause, and is what the
//     incarnation returns: its supervisor's restart policy decides what
//     follows. Errors that come later are dropped, as errgroup drops them.
//   - A panic in a goroutine is recovered there, cancels the group like an
//     error and, once every goroutine returned, is raised again on the
//     incarnation's goroutine as a *PanicError holding the value and the
//     stack of the goroutine that panicked. A panic takes precedence over
//     an error that came first: the incarnation panics.
//   - Goroutines inherit the pprof labels of the goroutine that calls Go,
//     as every goroutine does: started from the body or from another
//     goroutine of the group, they carry the labels a supervisor set on
//     the incarnation's goroutine, so a profile, and a stuck report that
//     reads one, shows them under the child.
//
// A goroutine that ignores the context keeps the incarnation from ending,
// as it would keep any errgroup's Wait: a supervisor that stops the child
// then reports it stuck, with that goroutine's stack.
//
// Go and TryGo may be called by the body and by goroutines of the group,
// and by any other goroutine while the body or a goroutine of the group
// still runs (as errgroup requires). Once the group has been joined, they
// start nothing: the function is not called. A Group is made
// by RunGroup for one incarnation and is not reused.
type Group struct {
	eg     errgroup.Group          // joins the goroutines and enforces SetLimit; records no error itself
	cancel context.CancelCauseFunc // cancels the context given to the body
	ended  atomic.Bool             // the group has been joined: Go starts nothing more

	mu    sync.Mutex
	err   error       // the first failure; guarded by mu
	panic *PanicError // the first panic; guarded by mu
}

// GroupFunc adapts a function to an Actor whose every incarnation runs the
// function with a fresh Group, as RunGroup does.
type GroupFunc func(ctx context.Context, g *Group) error

// Run calls RunGroup(ctx, f). It returns ErrNilFunc if f is nil.
func (f GroupFunc) Run(ctx context.Context) error {
	if f == nil {
		return ErrNilFunc
	}
	return RunGroup(ctx, f)
}

// Validate reports ErrNilFunc if f is nil.
func (f GroupFunc) Validate() error {
	if f == nil {
		return ErrNilFunc
	}
	return nil
}

// RunGroup runs body on the calling goroutine with a new Group and a
// context derived from ctx (its values, readiness and status signals
// included) that the group's first failure cancels. It returns once body
// and every goroutine of the group have returned, with the group's first
// failure, or nil. If a goroutine of the group panicked, RunGroup does not
// return: it panics with a *PanicError (see Group). If body itself panics
// or calls runtime.Goexit, the group is cancelled and joined before that
// panic or Goexit goes on.
//
// An actor that has other work of its own calls RunGroup from its Run; one
// that is only its group is a GroupFunc.
//
// Rejected designs: a supervisor joining the group after the incarnation
// returned would need the group registered with the incarnation (a context
// value read for every child, a cost to the children that use no group)
// and would tie actor to supervisors; RunGroup joins its own group, so any
// caller of Run gets the guarantee. Returning a goroutine's panic as an
// error would escape the child's panic policy (recover or crash) and make
// its events say "failed" rather than "panicked"; it is raised again.
func RunGroup(ctx context.Context, body func(ctx context.Context, g *Group) error) error {
	if body == nil {
		return ErrNilFunc
	}
	gctx, cancel := context.WithCancelCause(ctx)
	g := &Group{cancel: cancel}
	returned := false
	defer func() {
		if !returned {
			g.fail(errBodyLeft)
			g.join()
		}
	}()
	err := body(gctx, g)
	returned = true
	if err != nil {
		g.fail(err)
	}
	g.join()
	g.mu.Lock()
	err, p := g.err, g.panic
	g.mu.Unlock()
	if p != nil {
		panic(p)
	}
	return err
}

// Go calls f in a new goroutine of the group, after waiting, if a limit is
// set, until fewer than the limit run. f's error, panic or Goexit fails
// the group (see Group). Once the group has been joined, Go does nothing.
func (g *Group) Go(f func() error) {
	if g.ended.Load() {
		return
	}
	g.eg.Go(g.guard(f))
}

// TryGo calls f in a new goroutine of the group only if fewer goroutines
// than the limit run, and reports whether it did. Once the group has been
// joined, it reports false.
func (g *Group) TryGo(f func() error) bool {
	if g.ended.Load() {
		return false
	}
	return g.eg.TryGo(g.guard(f))
}

// SetLimit limits the number of the group's goroutines running at once to
// n (a negative n: no limit), as errgroup.Group.SetLimit does; it must not
// be called while goroutines of the group run.
func (g *Group) SetLimit(n int) { g.eg.SetLimit(n) }

// guard wraps f so that its error, panic or Goexit is the group's failure.
func (g *Group) guard(f func() error) func() error {
	return func() error {
		returned := false
		defer func() {
			if returned {
				return
			}
			v := recover()
			if v == nil {
				g.fail(ErrGoexit)
				return
			}
			p, ok := v.(*PanicError) // raised again by a nested RunGroup: keep its origin
			if !ok || p == nil {
				buf := make([]byte, maxPanicStack)
				p = &PanicError{Value: v, Stack: buf[:runtime.Stack(buf, false)]}
			}
			g.mu.Lock()
			if g.panic == nil {
				g.panic = p
			}
			g.mu.Unlock()
			g.fail(p)
		}()
		err := f()
		returned = true
		if err != nil {
			g.fail(err)
		}
		return nil
	}
}

// fail records err as the group's failure if it is the first, and cancels
// the group's context with it as the cause (the first cause stays).
func (g *Group) fail(err error) {
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
	g.cancel(err)
}

// join waits for every goroutine of the group, then marks it ended and
// releases its context.
func (g *Group) join() {
	_ = g.eg.Wait()
	g.ended.Store(true)
	g.cancel(context.Canceled)
}
