package policy

import (
	"fmt"
	"math"
	"time"
)

// AutoShutdown says when a supervisor shuts itself down cleanly because its
// significant children have ended. The zero value is Never.
type AutoShutdown uint8

const (
	// Never: significant children are not allowed.
	Never AutoShutdown = iota
	// AnySignificant shuts down when any significant child ends by itself
	// and is not restarted.
	AnySignificant
	// AllSignificant shuts down when no significant child is left alive.
	AllSignificant
)

var autoShutdownNames = [...]string{"never", "any_significant", "all_significant"}

// String returns "never", "any_significant" or "all_significant".
func (a AutoShutdown) String() string {
	if int(a) < len(autoShutdownNames) {
		return autoShutdownNames[a]
	}
	return fmt.Sprintf("AutoShutdown(%d)", uint8(a))
}

// Validate reports an unknown mode.
func (a AutoShutdown) Validate() error {
	if a > AllSignificant {
		return configErr("AutoShutdown", uint8(a), "must be Never, AnySignificant or AllSignificant")
	}
	return nil
}

// CheckSignificant reports whether a child of restart type t may be marked
// significant (when significant is true) under mode a: never under Never,
// and never for a Permanent child, whose every exit is restarted.
func (a AutoShutdown) CheckSignificant(t RestartType, significant bool) error {
	switch {
	case !significant:
		return nil
	case a == Never:
		return configErr("Significant", true, "requires AutoShutdown AnySignificant or AllSignificant")
	case t == Permanent:
		return configErr("Significant", true, "is not allowed on a Permanent child")
	}
	return nil
}

// Infinity, as a shutdown timeout, waits for a child as long as it takes.
// It is the default for child supervisors.
const Infinity = time.Duration(math.MaxInt64)

// DefaultShutdownTimeout is how long a worker is given to stop.
const DefaultShutdownTimeout = 5 * time.Second

// ValidateShutdownTimeout rejects negative timeouts. Zero means the default
// and Infinity means no limit.
func ValidateShutdownTimeout(field string, d time.Duration) error {
	if d < 0 {
		return configErr(field, d, "must be >= 0 (0 for the default, Infinity for no limit)")
	}
	return nil
}

// ShutdownTimeout resolves a configured timeout d: zero becomes
// DefaultShutdownTimeout for a worker and Infinity for a supervisor.
func ShutdownTimeout(d time.Duration, isSupervisor bool) time.Duration {
	switch {
	case d != 0:
		return d
	case isSupervisor:
		return Infinity
	default:
		return DefaultShutdownTimeout
	}
}
