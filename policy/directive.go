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
// panics, or returns an unknown Directive, counts as Escalate; the second
// result then describes what went wrong, with the panic's stack.
func Decide(d Decider, err error) (dir Directive, problem error) {
	if d == nil {
		return DefaultDecider(err), nil
	}
	defer func() {
		if v := recover(); v != nil {
			dir = Escalate
			problem = fmt.Errorf("decider panicked: %v\n%s", v, debug.Stack())
		}
	}()
	dir = d(err)
	if dir > Escalate {
		return Escalate, fmt.Errorf("decider returned unknown %v", dir)
	}
	return dir, nil
}
