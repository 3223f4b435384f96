package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arbor-go/arbor/internal/errwalk"
	"github.com/arbor-go/arbor/policy"
	oklogrun "github.com/oklog/run"
)

// PathSeparator separates the segments of a tree path, as in "root/db/pool".
const PathSeparator = "/"

// ConfigError reports an invalid specification given to New, Add or a
// policy value. It is policy.ConfigError, so one errors.As target catches
// both.
type ConfigError = policy.ConfigError

var (
	// ErrAlreadyRunning is returned by Run while another Run of the same
	// supervisor is in progress.
	ErrAlreadyRunning = errors.New("supervisor: already running")
	// ErrNotRunning is returned by Add, Remove and Restart outside a run.
	ErrNotRunning = errors.New("supervisor: not running")
	// ErrShuttingDown is returned by Add, Remove and Restart once the
	// supervisor has begun to shut down.
	ErrShuttingDown = errors.New("supervisor: shutting down")
	// ErrDuplicateName is returned by New and Add for a name already taken
	// among the siblings.
	ErrDuplicateName = errors.New("supervisor: duplicate child name")
	// ErrUnknownChild is returned by Remove and Restart for a name that is
	// not a child.
	ErrUnknownChild = errors.New("supervisor: unknown child")
	// ErrMaxChildren is returned by Add when the supervisor already has
	// MaxChildren children.
	ErrMaxChildren = errors.New("supervisor: too many children")
	// ErrChildBusy is returned by Remove and Restart while the child is
	// already being stopped or restarted by the supervisor, or is stuck.
	ErrChildBusy = errors.New("supervisor: child is busy")
	// ErrUnexpectedExit is the cause of an escalation triggered by normal
	// exits of a Permanent child, so that an escalation never has a nil
	// cause.
	ErrUnexpectedExit = errors.New("exited normally but is permanent")
	// ErrGoexit is the error of an incarnation that called runtime.Goexit.
	ErrGoexit = errors.New("called runtime.Goexit")
	// ErrStartTimeout is the error of a child that did not become ready
	// within its start timeout. It is also the cause its context is
	// cancelled with.
	ErrStartTimeout = errors.New("not ready within its start timeout")
	// ErrStillStuck is returned (wrapped in a *StuckError) by Run when
	// goroutines of an earlier run that were reported stuck still have not
	// returned.
	ErrStillStuck = errors.New("supervisor: goroutines of an earlier run are still stuck")
	// ErrNotConstructed is returned by the methods of a nil or zero
	// Supervisor: a Supervisor must be made by New.
	ErrNotConstructed = errors.New("supervisor: not made by New (a nil or zero Supervisor); use supervisor.New")
)

// Causes with which a supervisor cancels an incarnation's context; read them
// with context.Cause.
var (
	ErrShutdown   = errors.New("supervisor shutting down")
	ErrRestarting = errors.New("restarting with its siblings")
	ErrRemoved    = errors.New("removed from its supervisor")
	ErrEscalating = errors.New("supervisor escalating")
	ErrManualStop = errors.New("restarted by request")
	ErrExited     = errors.New("incarnation ended")
)

// PanicError is the error of an incarnation that panicked: the recovered
// value and the stack of the panicking goroutine, capped in size.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns "panic: " and the value, without the stack.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// EscalationError is what a supervisor returns when it gives up: its
// restart intensity was exceeded, a decider said escalate (or failed), a
// backoff ran out of attempts or a restart needed the slot of a stuck
// child. Unwrap returns the error of the child whose exit triggered it,
// which may itself be an *EscalationError of a nested supervisor; errors.Is
// and errors.As reach the leaf's error through every level.
type EscalationError struct {
	Supervisor string        // path of the supervisor that gave up
	Child      string        // path of its child whose exit triggered it
	Origin     string        // path of the leaf where the failure began
	Reason     string        // "intensity", "decider", "decider-failed", "backoff" or "stuck"
	Restarts   int           // restarts in the window when it gave up
	Period     time.Duration // the intensity window
	Blocked    string        // for Reason "stuck": the stuck child whose slot the restart needed
	Err        error         // the triggering child's error, never nil

	leaf string // the leaf error's text, taken by the child's goroutine
}

// Error reads, on one line, as
// "root/db gave up after 4 restarts in 5s: root/db/pool-3: dial tcp: ...".
// Nested escalations are not repeated: the text names the origin and the
// leaf's error.
func (e *EscalationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Supervisor)
	switch e.Reason {
	case "intensity":
		fmt.Fprintf(&b, " gave up after %d restarts in %v", e.Restarts, e.Period)
	case "decider":
		b.WriteString(" gave up: decider said escalate")
	case "decider-failed":
		b.WriteString(" gave up: decider failed")
	case "backoff":
		fmt.Fprintf(&b, " gave up after %d consecutive restarts", e.Restarts)
	case "stuck":
		b.WriteString(" gave up: restart needs the slot of stuck child ")
		b.WriteString(e.Blocked)
	default:
		b.WriteString(" gave up")
	}
	b.WriteString(": ")
	b.WriteString(e.Origin)
	b.WriteString(": ")
	b.WriteString(e.leafText())
	return b.String()
}

// Unwrap returns the triggering child's error.
func (e *EscalationError) Unwrap() error { return e.Err }

// leafText returns the text of the error below any nested escalations
// (also one joined with a *StuckError), without repeating them.
func (e *EscalationError) leafText() string {
	for {
		if e.leaf != "" {
			return e.leaf
		}
		switch x := e.Err.(type) {
		case *EscalationError:
			e = x
			continue
		case *joinedError:
			if inner, ok := x.errs[0].(*EscalationError); ok {
				e = inner
				continue
			}
		case nil:
			return ErrUnexpectedExit.Error()
		}
		return errwalk.Message(e.Err)
	}
}

// StartError is returned by Run when a child failed to start during the
// initial start, and by Add when the added child failed to start.
type StartError struct {
	Supervisor string // path of the supervisor
	Child      string // path of the child that failed to start
	Err        error  // why: its error, panic, or ErrStartTimeout
}

// Error reads as "root: start of root/db failed: ...".
func (e *StartError) Error() string {
	return e.Supervisor + ": start of " + e.Child + " failed: " + e.Err.Error()
}

// Unwrap returns the child's error.
func (e *StartError) Unwrap() error { return e.Err }

// StuckChild describes a child that did not stop within its shutdown
// timeout. Its goroutine was abandoned, not killed: no goroutine can be.
type StuckChild struct {
	Path   string        // the child's tree path
	Waited time.Duration // how long the supervisor waited
	Stack  string        // the goroutine's stack, found by its pprof labels
}

// StuckError lists the children that did not stop in time, across the whole
// subtree. Run returns it (joined to any escalation error).
type StuckError struct {
	Supervisor string
	Stuck      []StuckChild
	Err        error // ErrStillStuck when returned by a second Run, else nil
}

// Error lists every stuck path.
func (e *StuckError) Error() string {
	var b strings.Builder
	b.WriteString(e.Supervisor)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString(": stuck children did not stop:")
	for i, s := range e.Stuck {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (after %v)", s.Path, s.Waited)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *StuckError) Unwrap() error { return e.Err }

// startTimeoutError is the error of an incarnation that did not become
// ready within its start timeout. errors.Is finds both ErrStartTimeout and
// what the child returned.
type startTimeoutError struct{ err error }

func (e *startTimeoutError) Error() string {
	if e.err == nil {
		return ErrStartTimeout.Error()
	}
	return ErrStartTimeout.Error() + " (then returned: " + e.err.Error() + ")"
}

func (e *startTimeoutError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrStartTimeout}
	}
	return []error{ErrStartTimeout, e.err}
}

// timeoutText is the text of a startTimeoutError whose child's error reads
// text, computed without calling the error's methods again.
func timeoutText(text string) string {
	if text == "" {
		return ErrStartTimeout.Error()
	}
	return ErrStartTimeout.Error() + " (then returned: " + text + ")"
}

// deciderError is the error of an escalation because the decider failed
// (panicked, called runtime.Goexit or returned an unknown directive): it
// wraps both the child's error and the decider's problem.
type deciderError struct{ err, problem error }

func (e *deciderError) Error() string {
	s := "decider failed: " + e.problem.Error()
	if e.err != nil {
		s += " (deciding on: " + e.err.Error() + ")"
	}
	return s
}

func (e *deciderError) Unwrap() []error { return []error{e.err, e.problem} }

// joinedError is Run's error when it is both an escalation (or a start
// error) and a *StuckError: errors.Is and errors.As reach both, and its text
// is one line.
type joinedError struct{ errs []error }

func (e *joinedError) Error() string {
	var b strings.Builder
	for i, err := range e.errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (e *joinedError) Unwrap() []error { return e.errs }

// errInfo is what a child's goroutine learns about the error its
// incarnation returned, by calling the error's methods (user code) before
// it takes the supervisor's lock. The chain is walked with a depth limit
// and a cycle check (see internal/errwalk).
type errInfo struct {
	text         string           // err.Error(), or a note if it panicked
	panicked     bool             // err is a *PanicError
	nested       *EscalationError // a child supervisor's escalation in the chain
	escalate     bool             // policy.ErrEscalate is in the chain
	doNotRestart bool             // policy.ErrDoNotRestart is in the chain
	canceled     bool             // context.Canceled is in the chain
	signal       bool             // oklog/run's ErrSignal is in the chain (its signal handler's end)
}

// examine learns what the supervisor needs to know about err. It calls the
// error's methods, guarded against panics: call it only where user code
// may run (a child's goroutine), never with s.mu held.
func examine(err error) errInfo {
	info := errInfo{text: errText(err)}
	_, info.panicked = err.(*PanicError)
	errwalk.Walk(err, func(e error) bool {
		if x, ok := e.(*EscalationError); ok && info.nested == nil {
			info.nested = x
		}
		info.escalate = info.escalate || errwalk.Matches(e, policy.ErrEscalate)
		info.doNotRestart = info.doNotRestart || errwalk.Matches(e, policy.ErrDoNotRestart)
		info.canceled = info.canceled || errwalk.Matches(e, context.Canceled)
		info.signal = info.signal || errwalk.Matches(e, oklogrun.ErrSignal)
		return true
	})
	return info
}

// errText returns err's text, surviving a panic in its Error method.
func errText(err error) (text string) {
	if err == nil {
		return ""
	}
	return errwalk.Message(err)
}
