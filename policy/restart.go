package policy

import "fmt"

// RestartType says when a child is restarted after it exits. The zero value
// is Permanent.
type RestartType uint8

const (
	// Permanent children are restarted after any exit, a normal one too.
	Permanent RestartType = iota
	// Transient children are restarted only after an abnormal exit. A normal
	// or shutdown exit leaves them stopped and counts nothing.
	Transient
	// Temporary children are never restarted; they are removed from their
	// supervisor's children when they end.
	Temporary
)

var restartTypeNames = [...]string{"permanent", "transient", "temporary"}

// String returns "permanent", "transient" or "temporary".
func (t RestartType) String() string {
	if int(t) < len(restartTypeNames) {
		return restartTypeNames[t]
	}
	return fmt.Sprintf("RestartType(%d)", uint8(t))
}

// Validate reports an unknown restart type.
func (t RestartType) Validate() error {
	if t > Temporary {
		return configErr("RestartType", uint8(t), "must be Permanent, Transient or Temporary")
	}
	return nil
}

// ExitClass classifies how an incarnation of a child ended.
type ExitClass uint8

const (
	// Normal: Run returned nil without having been asked to stop.
	Normal ExitClass = iota
	// Shutdown: Run returned after its supervisor asked it to stop, whatever
	// it returned.
	Shutdown
	// Abnormal: Run returned an error (including a context.Canceled the
	// supervisor did not cause), panicked, or called runtime.Goexit.
	Abnormal
)

var exitClassNames = [...]string{"normal", "shutdown", "abnormal"}

// String returns "normal", "shutdown" or "abnormal".
func (c ExitClass) String() string {
	if int(c) < len(exitClassNames) {
		return exitClassNames[c]
	}
	return fmt.Sprintf("ExitClass(%d)", uint8(c))
}

// Classify returns the exit class of an incarnation that returned err
// (a recovered panic or a Goexit is passed as a non-nil err), given whether
// its supervisor had asked it to stop before it returned. The request to
// stop wins over whatever the child returned.
func Classify(err error, askedToStop bool) ExitClass {
	switch {
	case askedToStop:
		return Shutdown
	case err != nil:
		return Abnormal
	default:
		return Normal
	}
}

// ShouldRestart reports whether a child of restart type t is restarted after
// an exit of class c. Exits of class Shutdown are caused by the supervisor
// itself, which decides what follows them; for them ShouldRestart reports
// what the restart type alone says (true only for Permanent).
func ShouldRestart(t RestartType, c ExitClass) bool {
	switch t {
	case Permanent:
		return true
	case Transient:
		return c == Abnormal
	default:
		return false
	}
}
