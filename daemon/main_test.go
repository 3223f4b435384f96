package daemon_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv names the scenario a re-executed test binary runs as a daemon
// (see helper_unix_test.go) instead of running the tests.
const helperEnv = "ARBOR_DAEMON_TEST_HELPER"

// TestMain runs a helper daemon when the test binary is re-executed by a
// process test, and otherwise the tests, checking that none leaks a
// goroutine.
func TestMain(m *testing.M) {
	if scenario := os.Getenv(helperEnv); scenario != "" {
		helperMain(scenario) // exits
	}
	goleak.VerifyTestMain(m)
}
