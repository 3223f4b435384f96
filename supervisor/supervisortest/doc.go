// Package supervisortest provides helpers for testing supervision trees
// built with package supervisor, as net/http/httptest does for HTTP
// handlers:
//
//   - Recorder, a supervisor.Observer that keeps every event, with waits
//     (WaitFor, WaitKind) and order assertions (AssertOrder, AssertEqual);
//   - Script, a scripted actor whose incarnations follow a list of Steps,
//     with a Log of every start and stop in order, and constructors for the
//     usual cases: Blocker, FailN, Failer, Panicker, Goexiter, ReturnNil,
//     Stubborn (ignores cancellation until released) and ReadyAfter; Do and
//     End end a running incarnation when the test says so;
//   - Start, which runs a tree for the length of a test and stops it in the
//     test's cleanup;
//   - PipeListener, an in-memory net.Listener for servers tested inside a
//     synctest bubble;
//   - small conveniences: New, Names, ChildNamed, Sleep and ObservedLogger.
//
// # Inside testing/synctest
//
// Every helper works inside a testing/synctest bubble. Every wait blocks on
// a channel or a timer, together with a context where it takes one, which synctest counts as
// durably blocked: virtual time drives backoffs, intensity windows and
// timeouts, and synctest.Wait returns once the tree is idle. Create the
// Scripts and trees of a bubble inside it, and pass Start the bubble's own
// *testing.T, so that its cleanup runs in the bubble.
//
// Two things do not work inside a bubble. signal.Notify crashes the test
// binary: test signal handling in a subprocess (run the test binary again
// with an environment variable that selects a helper, and send it real
// signals). A real socket makes synctest.Wait hang, because a goroutine
// blocked in the network poller is not durably blocked: give the actor an
// injectable net.Listener and pass it a PipeListener, whose connections are
// net.Pipe pairs, or keep the test outside a bubble and wait with
// Running.WaitReady and Recorder.WaitKind instead of synctest.Wait.
//
// The package imports only the standard library, zap and arbor itself.
// Check for leaked goroutines with go.uber.org/goleak in a TestMain.
package supervisortest
