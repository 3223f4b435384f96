package policy

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/arbor-go/arbor/internal/errwalk"
)

// Directive is what a Decider says to do after an abnormal exit. The zero
// value is Restart.
type Directive uint8

const (
	// Restart follows the child's restart type: a Permanent or Transient
	// child is restarted, a Temporary one is left stopped.
	Restart Directive = iota
	// Stop leaves the child stopped and keeps the supervisor running. On a
	// significant child this can trigger auto-shutdown.
	Stop
	// Escalate makes the supervisor give up at once: it stops its children
	// and fails to its parent.
	Escalate
)

var directiveNames = [...]string{"restart", "stop", "escalate"}

// String returns "restart", "stop" or "escalate".
func (d Directive) String() string {
	if int(d) < len(directiveNames) {
		return directiveNames[d]
	}
	return fmt.Sprintf("Directive(%d)", uint8(d))
}

// Decider chooses a Directive for the error of an abnormal exit (a recovered
// panic arrives as a *PanicError-like error). It is never called for normal
// or shutdown exits.
type Decider func(err error) Directive

// ErrDoNotRestart, wrapped in a child's error, asks for Stop when the child
// has no Decider of its own (as in suture).
var ErrDoNotRestart = errors.New("do not restart")

// ErrEscalate, wrapped in a child's error, asks for Escalate when the child
// has no Decider of its own.
var ErrEscalate = errors.New("escalate")

// DefaultDecider honours ErrEscalate and ErrDoNotRestart anywhere in err's
// chain (ErrEscalate first) and otherwise says Restart.
//
// It matches as errors.Is does, but the methods of err and of what it wraps
// are the child's code, so the walk of the chain is bounded and guarded: a
// cycle (an Unwrap that returns its own receiver, say), a chain deeper than
// 64 levels or larger than 1024 errors, and an Unwrap or Is method that
// panics cannot hang or crash it; a sentinel that the walk cannot reach does
// not count.
func DefaultDecider(err error) Directive {
	switch {
	case errwalk.Is(err, ErrEscalate):
		return Escalate
	case errwalk.Is(err, ErrDoNotRestart):
		return Stop
	default:
		return Restart
	}
}

// Decide asks d (DefaultDecider when d is nil) about err. A decider that
// panics, calls runtime.Goexit, or returns an unknown Directive counts as
// Escalate; the second result then describes what went wrong: the panic's
// value and stack, "called runtime.Goexit", or the directive. Decide never
// panics and never ends its caller's goroutine.
//
// d runs on a goroutine of its own (it inherits the caller's pprof
// labels), which Decide waits for: a Goexit can only be survived there. The
// panic value is formatted on that goroutine too, as its String or Error
// method is user code as well. A nil d costs no goroutine.
func Decide(d Decider, err error) (dir Directive, problem error) {
	if d == nil {
		return DefaultDecider(err), nil
	}
	type result struct {
		dir     Directive
		problem error
	}
	done := make(chan result, 1)
	go func() {
		var value any
		panicked, returned := false, false
		defer func() {
			if returned {
				return
			}
			// runtime.Goexit, in d or in the formatting of its panic's
			// value: the goroutine ends, these deferred calls run.
			if panicked {
				done <- result{Escalate, fmt.Errorf("decider panicked with a value of type %T, whose formatting called runtime.Goexit", value)}
				return
			}
			done <- result{Escalate, errors.New("decider called runtime.Goexit")}
		}()
		defer func() {
			if returned {
				return
			}
			if value = recover(); value == nil {
				return // runtime.Goexit
			}
			panicked = true
			stack := debug.Stack()
			text := fmt.Sprintf("decider panicked: %v\n%s", value, stack)
			returned = true
			done <- result{Escalate, errors.New(text)}
		}()
		dir := d(err)
		returned = true
		if dir > Escalate {
			done <- result{Escalate, fmt.Errorf("decider returned unknown %v", dir)}
			return
		}
		done <- result{dir, nil}
	}()
	r := <-done
	return r.dir, r.problem
}
