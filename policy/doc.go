// Package policy holds the rules of supervision as pure values: restart
// types, exit classes, strategies, restart intensity, backoff, per-error
// directives, auto-shutdown modes and shutdown timeouts.
//
// Nothing in this package starts a goroutine or reads the clock: time is
// passed in as an argument, so every rule can be checked with a table test.
// Every configurable value has a Validate method that returns a *ConfigError
// naming the field and the offending value.
package policy

import "fmt"

// ConfigError reports an invalid configuration value. It names the field
// (for example "Intensity.MaxRestarts" or "Child[db].ShutdownTimeout"), the
// value that was rejected and why. Use errors.As to inspect it.
type ConfigError struct {
	Field  string // the field that holds the bad value
	Value  any    // the rejected value
	Reason string // what the value must be instead
	Err    error  // a sentinel the error also matches, if any
}

// Error implements the error interface.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s %v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(field string, value any, reason string) error {
	return &ConfigError{Field: field, Value: value, Reason: reason}
}
