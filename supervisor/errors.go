package supervisor

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arbor-go/arbor/policy"
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
// restart intensity was exceeded, a decider said escalate, a backoff ran out
// of attempts or a restart needed the slot of a stuck child. Unwrap returns
// the error of the child whose exit triggered it, which may itself be an
// *EscalationError of a nested supervisor; errors.Is and errors.As reach the
// leaf's error through every level.
type EscalationError struct {
	Supervisor string        // path of the supervisor that gave up
	Child      string        // path of its child whose exit triggered it
	Origin     string        // path of the leaf where the failure began
	Reason     string        // "intensity", "decider", "backoff" or "stuck"
	Restarts   int           // restarts in the window when it gave up
	Period     time.Duration // the intensity window
	Err        error         // the triggering child's error, never nil
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
	case "backoff":
		fmt.Fprintf(&b, " gave up after %d consecutive restarts", e.Restarts)
	case "stuck":
		b.WriteString(" gave up: restart needs a stuck child's slot")
	default:
		b.WriteString(" gave up")
	}
	b.WriteString(": ")
	b.WriteString(e.Origin)
	b.WriteString(": ")
	b.WriteString(leafText(e.Err))
	return b.String()
}

// Unwrap returns the triggering child's error.
func (e *EscalationError) Unwrap() error { return e.Err }

// leafText returns the text of the error below any nested escalations.
func leafText(err error) string {
	for {
		esc, ok := err.(*EscalationError)
		if !ok {
			return err.Error()
		}
		err = esc.Err
	}
}

// originOf returns the origin path of err if it is an escalation of a nested
// supervisor, else path.
func originOf(err error, path string) string {
	var esc *EscalationError
	if errors.As(err, &esc) {
		return esc.Origin
	}
	return path
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
