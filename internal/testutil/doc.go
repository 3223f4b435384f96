// Package testutil holds the helpers that the tests of more than one of
// arbor's packages share: work counters that prove a cost without a clock,
// waits bounded by the test binary's own deadline rather than by a guess,
// fault-injecting actors and leak checks.
//
// What users need to test their own trees is in supervisor/supervisortest,
// and testutil does not repeat it. Hooks that need a package's unexported
// names stay in that package's export_test.go. testutil imports actor,
// policy and supervisor, so only external test packages (package
// supervisor_test, not package supervisor) of the supervisor may import it.
package testutil
