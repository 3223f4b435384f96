package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	// ErrNotRunning is returned by Add, Remove and Restart outside a run
	// (wrapped in an *OpError).
	ErrNotRunning = errors.New("supervisor: not running")
	// ErrShuttingDown is returned by Add, Remove and Restart (wrapped in an
	// *OpError) once the supervisor has begun to shut down.
	ErrShuttingDown = errors.New("supervisor: shutting down")
	// ErrDuplicateName is matched by the *ConfigError of New and Add for a
	// name already taken among the siblings.
	ErrDuplicateName = errors.New("supervisor: duplicate child name")
	// ErrUnknownChild is returned by Remove and Restart (wrapped in an
	// *OpError) for a name that is not a child.
	ErrUnknownChild = errors.New("supervisor: unknown child")
	// ErrMaxChildren is returned by Add (wrapped in an *OpError) when the
	// supervisor already has MaxChildren children.
	ErrMaxChildren = errors.New("supervisor: too many children")
	// ErrChildBusy is returned by Remove and Restart (wrapped in an
	// *OpError) while the child is stuck.
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
	// ErrNotConstructed is returned by the methods of a nil or zero
	// Supervisor (by Add, Remove and Restart wrapped in an *OpError): a
	// Supervisor must be made by New.
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
// value and the stack of the panicking goroutine, capped in size. A panic
// in a goroutine of the incarnation's actor.Group reaches the supervisor as
// an *actor.PanicError raised again on the incarnation's goroutine; its
// Value and Stack are then those of the goroutine that first panicked.
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
	Supervisor string // path of the supervisor that gave up
	Child      string // path of its child whose exit triggered it
	Origin     string // path of the leaf where the failure began
	Reason     string // "intensity", "decider", "decider-failed", "backoff" or "stuck"
	// Restarts counts the restarts made before the supervisor gave up; the
	// refused one is not among them. For Reason "intensity" it is
	// MaxRestarts (0 with MaxRestarts 0); for "backoff", the consecutive
	// restarts of Child (MaxAttempts); otherwise the restarts in the
	// intensity window (0 with policy.Unlimited, which keeps none).
	Restarts int
	Period   time.Duration // the intensity window
	Blocked  string        // for Reason "stuck": the stuck child whose slot the restart needed
	Err      error         // the triggering child's error, never nil

	leaf   string // the leaf error's text, taken by the child's goroutine
	leafOK bool   // leaf is set (it may be empty): Error calls no user code
}

// Error reads on one line (control characters in the errors' texts and
// panic values it names are escaped, as "\n"): why the supervisor gave up, then the failure it
// did not restart, named by the origin's path and followed by the leaf's
// error. By reason:
//
//	intensity       root/db gave up: 3 restarts in 5s, then root/db/pool-3 failed again: dial tcp: connection refused
//	backoff         root/db gave up: 4 consecutive restarts, then root/db/pool-3 failed again: dial tcp: ...
//	decider         root/db gave up: decider said escalate when root/db/pool-3 failed: ...
//	decider-failed  root/db gave up: decider failed (panic: nil map) when root/db/pool-3 failed: ...
//	stuck           root/db gave up: restart needs the slot of stuck child root/db/cache when root/db/pool-3 failed: ...
//
// "failed again" says that restarts were made before (Restarts > 0); with
// none it reads "0 restarts in 5s, then root/x failed" ("1 restart" is
// singular). A failed decider is named by what went wrong with it: the
// panic's value ("panic: ..."), "called runtime.Goexit", or the unknown
// directive it returned. Nested escalations are not repeated: the text
// names the origin and the leaf's error once, followed by the failure of
// a nested supervisor's decider, if that is why it gave up: "...then
// root/sub/db failed: x (decider of root/sub failed: panic: nil map)".
func (e *EscalationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Supervisor)
	b.WriteString(" gave up")
	again := false
	switch e.Reason {
	case "intensity":
		fmt.Fprintf(&b, ": %s in %v, then ", countRestarts(e.Restarts, ""), e.Period)
		again = e.Restarts > 0
	case "backoff":
		fmt.Fprintf(&b, ": %s, then ", countRestarts(e.Restarts, "consecutive "))
		again = e.Restarts > 0
	case "decider":
		b.WriteString(": decider said escalate when ")
	case "decider-failed":
		b.WriteString(": decider failed")
		if why := e.deciderProblem(); why != "" {
			b.WriteString(" (")
			b.WriteString(why)
			b.WriteByte(')')
		}
		b.WriteString(" when ")
	case "stuck":
		b.WriteString(": restart needs the slot of stuck child ")
		b.WriteString(e.Blocked)
		b.WriteString(" when ")
	default:
		b.WriteString(" when ")
	}
	b.WriteString(e.Origin)
	if again {
		b.WriteString(" failed again: ")
	} else {
		b.WriteString(" failed: ")
	}
	b.WriteString(e.leafText())
	return oneLine(b.String()) // the leaf's text and the decider's problem are user text
}

// causeText is what an escalation above e says of it: e's leaf text and,
// when e gave up because its decider failed, what went wrong with the
// decider, so that a decider's panic deep in the tree is named at the
// root too: "x (decider of root/sub failed: panic: nil map)".
func (e *EscalationError) causeText() string { return e.leafText() + e.deciderSuffix() }

// deciderSuffix is what causeText adds to the leaf's text for e: the
// failure of e's decider, or "".
func (e *EscalationError) deciderSuffix() string {
	if e.Reason != "decider-failed" {
		return ""
	}
	if why := e.deciderProblem(); why != "" {
		return " (decider of " + e.Supervisor + " failed: " + why + ")"
	}
	return ""
}

// deciderProblem returns the text of the decider's failure, which the
// child's goroutine took; "" if Err is not a decider's failure.
func (e *EscalationError) deciderProblem() string {
	if de, ok := e.Err.(*deciderError); ok {
		return de.text
	}
	return ""
}

// countRestarts returns "1 restart" or "n restarts", with adj before the
// noun.
func countRestarts(n int, adj string) string {
	if n == 1 {
		return "1 " + adj + "restart"
	}
	return strconv.Itoa(n) + " " + adj + "restarts"
}

// Unwrap returns the triggering child's error.
func (e *EscalationError) Unwrap() error { return e.Err }

// leafText returns the text of the error below any nested escalations
// (also one joined with a *StuckError), without repeating them, followed
// by the failures of nested supervisors' deciders (see causeText), the
// innermost first. It walks at most maxNested levels: an escalation made
// by a user may nest without end (or in a cycle).
func (e *EscalationError) leafText() string {
	var below []string // the nested levels' decider failures, outermost first
	leaf := ""
	for depth := 0; ; depth++ {
		if e.leafOK {
			leaf = e.leaf
			break
		}
		var inner *EscalationError
		switch x := e.Err.(type) {
		case *EscalationError:
			inner = x
		case *joinedError:
			if len(x.errs) > 0 {
				inner, _ = x.errs[0].(*EscalationError)
			}
		case nil:
			leaf = ErrUnexpectedExit.Error()
		}
		if inner != nil && depth == maxNested {
			leaf = "(escalations nested too deep)" // not inner's Error: it would walk again
			break
		}
		if inner == nil {
			if e.Err != nil {
				leaf = errwalk.Message(e.Err)
			}
			break
		}
		e = inner
		below = append(below, e.deciderSuffix())
	}
	for i := len(below) - 1; i >= 0; i-- {
		leaf += below[i]
	}
	return leaf
}

// maxNested caps the levels of nested escalations leafText walks.
const maxNested = 64

// OpError is the error of Add, Remove or Restart when the call was refused:
// Err is one of ErrNotRunning, ErrShuttingDown, ErrUnknownChild,
// ErrChildBusy, ErrMaxChildren or ErrNotConstructed, so errors.Is(err,
// ErrUnknownChild) and the like keep working. The other errors of these
// calls already say where they come from and are returned as they are:
// a *ConfigError for an invalid spec or a name already taken (the same as
// New's, matching ErrDuplicateName), a *StartError when the child failed to
// start, and a *StuckError when it did not stop in time.
type OpError struct {
	Op         string // "Add", "Remove" or "Restart"
	Supervisor string // path of the supervisor (its name when not running; "" for one not made by New)
	Child      string // path of the child the call named (its name alone when Supervisor is "")
	Err        error  // why the call was refused
}

// Error reads as "root: Remove root/x: supervisor: unknown child". A child
// path that could not be a valid path (it holds a control character, say)
// is quoted, and control characters in Err's text are escaped (as "\n"),
// so the text stays on one line.
func (e *OpError) Error() string {
	var b strings.Builder
	if e.Supervisor != "" {
		b.WriteString(e.Supervisor)
		b.WriteString(": ")
	}
	b.WriteString(e.Op)
	b.WriteByte(' ')
	if printable(e.Child) {
		b.WriteString(e.Child)
	} else {
		b.WriteString(strconv.Quote(e.Child))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(oneLine(errText(e.Err)))
	}
	return b.String()
}

// Unwrap returns Err.
func (e *OpError) Unwrap() error { return e.Err }

// StartError is returned by Run when a child failed to start during the
// initial start, and by Add when the added child failed to start.
type StartError struct {
	Supervisor string // path of the supervisor
	Child      string // path of the child that failed to start
	Err        error  // why: its error, panic, or ErrStartTimeout

	text   string // Err's text, taken by the goroutine that received Err
	textOK bool   // text is set (it may be empty): Error calls no user code
}

// newStartError returns the start error of child, whose error err reads
// text (taken by the goroutine that received err).
func newStartError(supervisor, child string, err error, text string) *StartError {
	return &StartError{Supervisor: supervisor, Child: child, Err: err, text: text, textOK: true}
}

// Error reads on one line as "root: start of root/db failed: ...", the
// control characters of the child's error's text escaped (as "\n"). That
// text is the one taken when the error was received: reading a StartError
// the supervisor made calls no method of the child's error.
func (e *StartError) Error() string {
	text := e.text
	if !e.textOK {
		text = errText(e.Err)
	}
	return oneLine(e.Supervisor + ": start of " + e.Child + " failed: " + text)
}

// Unwrap returns the child's error.
func (e *StartError) Unwrap() error { return e.Err }

// StuckChild describes a child that did not stop within its shutdown
// timeout. Its goroutine was abandoned, not killed: no goroutine can be.
type StuckChild struct {
	Path   string        // the child's tree path
	Waited time.Duration // how long the supervisor waited
	Stack  string        // the goroutine's stack, found by its pprof labels
	PID    int           // the program the child runs (see SetPID), or 0
}

// StuckError lists the children that did not stop in time, across the whole
// subtree. Run returns it (joined to any escalation error).
type StuckError struct {
	Supervisor string
	Stuck      []StuckChild
}

// Error lists every stuck path, on one line.
func (e *StuckError) Error() string {
	var b strings.Builder
	b.WriteString(e.Supervisor)
	b.WriteString(": stuck children did not stop:")
	for i, s := range e.Stuck {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.PID != 0 {
			fmt.Fprintf(&b, " %s (after %v, pid %d)", s.Path, s.Waited, s.PID)
			continue
		}
		fmt.Fprintf(&b, " %s (after %v)", s.Path, s.Waited)
	}
	return oneLine(b.String()) // a path made by a user may hold anything
}

// startTimeoutError is the error of an incarnation that did not become
// ready within its start timeout. errors.Is finds both ErrStartTimeout and
// what the child returned.
type startTimeoutError struct{ err error }

func (e *startTimeoutError) Error() string {
	if e.err == nil {
		return ErrStartTimeout.Error()
	}
	return ErrStartTimeout.Error() + " (then returned: " + oneLine(errText(e.err)) + ")"
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
	return ErrStartTimeout.Error() + " (then returned: " + oneLine(text) + ")"
}

// deciderError is the error of an escalation because the decider failed
// (panicked, called runtime.Goexit or returned an unknown directive): it
// wraps both the child's error and the decider's problem (a *PanicError for
// a panic), whose text the child's goroutine took.
type deciderError struct {
	err, problem error
	text         string // problem's text
}

func (e *deciderError) Error() string {
	s := "decider failed: " + e.text
	if e.err != nil {
		s += " (deciding on: " + errText(e.err) + ")" // user code: guarded
	}
	return oneLine(s)
}

func (e *deciderError) Unwrap() []error { return []error{e.err, e.problem} }

// unknownDirectiveError is the problem of a decider that returned a
// Directive policy does not define.
type unknownDirectiveError struct{ dir policy.Directive }

func (e *unknownDirectiveError) Error() string {
	return "returned an unknown directive: " + e.dir.String()
}

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
	return oneLine(b.String())
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
	leaf         string           // for nested: its leaf error's text, taken with the rest
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
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
	default:
		// A chain of one, such as errors.New's: no walk (the restart
		// path's common case).
		info.match(err)
		return info
	}
	errwalk.Walk(err, func(e error) bool {
		info.match(e)
		return true
	})
	return info
}

// match records what one error of a chain is. Called by examine, in the
// child's goroutine.
func (info *errInfo) match(e error) {
	if x, ok := e.(*EscalationError); ok && info.nested == nil {
		// Its leaf's text may need user code (an escalation made by a
		// user, or one whose leaf was not taken): read it here, in the
		// child's goroutine, not when the supervisor escalates.
		info.nested, info.leaf = x, x.causeText()
	}
	// The sentinels are compared directly; an Is method, user code, is
	// called only when e has one. Comparing e with a sentinel cannot panic
	// even when e's type is not comparable: interface values of different
	// dynamic types are unequal without their values being compared, and
	// every sentinel here is a pointer (errors.New).
	switch e {
	case policy.ErrEscalate:
		info.escalate = true
	case policy.ErrDoNotRestart:
		info.doNotRestart = true
	case context.Canceled:
		info.canceled = true
	case oklogrun.ErrSignal:
		info.signal = true
	}
	if _, ok := e.(interface{ Is(error) bool }); ok {
		info.escalate = info.escalate || errwalk.Matches(e, policy.ErrEscalate)
		info.doNotRestart = info.doNotRestart || errwalk.Matches(e, policy.ErrDoNotRestart)
		info.canceled = info.canceled || errwalk.Matches(e, context.Canceled)
		info.signal = info.signal || errwalk.Matches(e, oklogrun.ErrSignal)
	}
}

// errText returns err's text, surviving a panic in its Error method.
func errText(err error) (text string) {
	if err == nil {
		return ""
	}
	return errwalk.Message(err)
}

// ownText returns the text of err, an error the supervisor made itself or
// one of its sentinels (or nil), without calling user code: an
// *EscalationError or a *StartError it made reads the texts taken when its
// parts were received. It is called with s.mu held, where no method of a
// child's error may run: an error whose text was not taken (none should
// reach it) reads as its type, in parentheses.
func ownText(err error) string {
	if text, ok := ownTextOK(err); ok {
		return text
	}
	return fmt.Sprintf("(%T)", err)
}

func ownTextOK(err error) (string, bool) {
	switch x := err.(type) {
	case nil:
		return "", true
	case *EscalationError:
		if x.leafOK {
			return x.Error(), true
		}
		return "", false
	case *StartError:
		if x.textOK {
			return x.Error(), true
		}
		return "", false
	case *StuckError:
		return x.Error(), true
	case *HungError:
		return x.Error(), true // the probe's text was taken by its goroutine
	case *joinedError:
		var b strings.Builder
		for i, e := range x.errs {
			text, ok := ownTextOK(e)
			if !ok {
				return "", false
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(text)
		}
		return b.String(), true
	}
	switch err {
	case ErrUnexpectedExit, ErrGoexit, ErrStartTimeout, errStopped, ErrShutdown:
		return err.Error(), true
	}
	return "", false
}
