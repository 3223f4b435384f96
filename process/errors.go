package process

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
)

// ErrStopTimeout is wrapped by the *ExitError of a program that did not
// stop within its stop timeout after its stop signal, and that the
// SIGKILL sent then ended.
var ErrStopTimeout = errors.New("process: killed after the stop timeout")

// ExitError is the error of a program's exit: the exit status or the
// signal that ended it. Run returns it for an exit that is not a success
// (see Program.SuccessExitStatus) and for a program killed after its stop
// timeout. errors.As finds it through the supervisor's errors, so a
// decider can act on the status:
//
//	var ee *process.ExitError
//	if errors.As(err, &ee) && ee.Status == 75 { // EX_TEMPFAIL
//		return policy.Restart
//	}
type ExitError struct {
	Path   string         // the program
	PID    int            // its process id
	Status int            // its exit status, or -1 if a signal ended it
	Signal syscall.Signal // the signal that ended it, or 0 if it exited
	// Err says more when there is more to say: ErrStopTimeout when the
	// package's SIGKILL ended it, policy.ErrDoNotRestart for a status in
	// RestartPreventExitStatus; nil otherwise.
	Err error
}

// Error reads "process /bin/prog (pid 42) exited with status 3" or
// "process /bin/prog (pid 42) ended by signal 9 (killed): process: killed
// after the stop timeout".
func (e *ExitError) Error() string {
	var b strings.Builder
	b.WriteString("process ")
	b.WriteString(e.Path)
	b.WriteString(" (pid ")
	b.WriteString(strconv.Itoa(e.PID))
	b.WriteString(")")
	if e.Signal != 0 {
		b.WriteString(" ended by signal ")
		b.WriteString(strconv.Itoa(int(e.Signal)))
		b.WriteString(" (")
		b.WriteString(e.Signal.String())
		b.WriteString(")")
	} else {
		b.WriteString(" exited with status ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ExitError) Unwrap() error { return e.Err }
