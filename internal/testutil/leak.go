package testutil

import (
	"testing"

	"go.uber.org/goleak"
)

// VerifyTestMain runs the tests of m and then fails the test binary if any
// goroutine is still running. Use it as a package's whole TestMain:
//
//	func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
//
// It ignores no goroutine: every test must end everything it started.
func VerifyTestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// VerifyNone fails t if any goroutine other than the calling one is still
// running, after giving exiting goroutines a short grace period. Call it at
// the end of a test, or with defer, for a check scoped to one test. It must
// not be used in tests that run in parallel with others.
func VerifyNone(t testing.TB) {
	t.Helper()
	goleak.VerifyNone(t)
}
