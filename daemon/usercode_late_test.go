package daemon_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// lateErr is a child's error whose methods behave on their first call
// (the one the child's own goroutine makes when it examines the error) and
// misbehave on every later one: Unwrap and As block until release is
// closed, or call runtime.Goexit.
type lateErr struct {
	goexit  bool
	release chan struct{}
	calls   atomic.Int64
}

func (e *lateErr) misbehave() {
	if e.calls.Add(1) == 1 {
		return
	}
	if e.goexit {
		runtime.Goexit()
	}
	<-e.release
}

func (e *lateErr) Error() string { return "late" }
func (e *lateErr) Unwrap() error { e.misbehave(); return nil }
func (e *lateErr) As(any) bool   { e.misbehave(); return false }

// TestRunNeverCallsTheChildsErrorMethodsAfterTheTreeStopped gives the
// root up on a child's error whose Unwrap and As block (or call
// runtime.Goexit) once the child's goroutine has examined it. daemon.Run,
// which looks into the root's error for a stuck report on the process's
// main goroutine, must return ExitFailure anyway: the root's error and the
// stuck report are the supervisor's own, and reading them needs no method
// of the child's error.
func TestRunNeverCallsTheChildsErrorMethodsAfterTheTreeStopped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		goexit bool
	}{{"Blocks", false}, {"CallsGoexit", true}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bad := &lateErr{goexit: tc.goexit, release: make(chan struct{})}
				defer close(bad.release)
				root := supervisortest.New(t, "root",
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: 1}),
					supervisor.WithChildren(supervisor.Child{Name: "db",
						Actor: actor.Func(func(context.Context) error { return bad })}))
				log, _ := supervisortest.ObservedLogger(zapcore.DebugLevel)
				type outcome struct {
					code     int
					err      error
					returned bool
				}
				done := make(chan outcome, 1)
				go func() {
					var out outcome
					defer func() { done <- out }()
					out.code, out.err = daemon.Run(t.Context(), root, daemon.WithSignals(make(chan os.Signal)),
						daemon.WithNotifier(&notes{}), daemon.WithLogger(log), daemon.WithWatchdog(0))
					out.returned = true
				}()
				synctest.Wait()
				var out outcome
				select {
				case out = <-done:
				default:
					t.Fatalf("Run has not returned: blocked in a method of the child's error (%d calls)",
						bad.calls.Load())
				}
				if !out.returned {
					t.Fatalf("Run's goroutine ended in runtime.Goexit (%d calls of the error's methods)",
						bad.calls.Load())
				}
				var esc *supervisor.EscalationError
				if out.code != daemon.ExitFailure || !errors.As(out.err, &esc) {
					t.Errorf("Run = %d, %v; want ExitFailure and an escalation", out.code, out.err)
				}
			})
		})
	}
}
