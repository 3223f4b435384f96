// Package testutil holds the helpers that the tests of more than one of
// arbor's packages share: work counters that prove a cost without reading
// a clock (CountWork, Linear), waits for real-time tests bounded by the
// test binary's own deadline rather than by a guess (Expiry, Context,
// Deadline, Receive, Patience), a real HTTP fetch (Get), a slog handler
// that keeps records (SlogRecorder), a zap core that runs a hook on every
// write (HookCore: one that blocks, panics or records) and fault-injecting
// actors (Blocker, FailOn). Leak checks are goleak's, one
// goleak.VerifyTestMain in every package's TestMain.
//
// What users need to test their own trees is in supervisor/supervisortest,
// and testutil does not repeat it. Hooks that need a package's unexported
// names stay in that package's export_test.go. testutil imports actor and
// nothing else of arbor, so that the tests of every other package,
// internal tests (package supervisor) included, may import it; only
// actor's own tests must be external (package actor_test) to do so. Keep
// it that way: a helper that needs the supervisor belongs in
// supervisortest, or beside the external tests that use it.
package testutil
