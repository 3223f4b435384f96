//go:build !linux

package process

// execLimits returns 0s (no check but for NUL bytes): other systems'
// limits are not read here, and a start past them fails with the system's
// error.
func execLimits() (maxString, maxTotal int) { return 0, 0 }
