package daemon_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// cyclicErr is a child's error whose Unwrap returns itself (up to a bound,
// so that an unguarded walk ends and the test can count it) and whose As
// panics.
type cyclicErr struct{ calls atomic.Int64 }

const cyclicBound = 1 << 16

func (e *cyclicErr) Error() string { e.calls.Add(1); return "cyclic" }
func (e *cyclicErr) As(any) bool   { e.calls.Add(1); panic("As panicked") }
func (e *cyclicErr) Unwrap() error {
	if e.calls.Add(1) < cyclicBound {
		return e
	}
	return nil
}

// TestRunWalksTheRootsErrorWithTheGuardedWalk fails the root's start with
// a child's error whose Unwrap returns itself and whose As panics. Run, on
// the process's main goroutine, looks into the root's error for stuck
// children: it must do so with the guarded walk, and return the failure,
// not panic or loop.
func TestRunWalksTheRootsErrorWithTheGuardedWalk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := &cyclicErr{}
		root := supervisortest.New(t, "root", supervisor.WithChildren(supervisor.Child{Name: "db", WaitReady: true,
			Actor: actor.Func(func(context.Context) error { return bad })}))
		log, _ := supervisortest.ObservedLogger(zapcore.DebugLevel)
		type outcome struct {
			code     int
			err      error
			panicked any
		}
		done := make(chan outcome, 1)
		go func() {
			var out outcome
			defer func() {
				out.panicked = recover()
				done <- out
			}()
			out.code, out.err = daemon.Run(t.Context(), root, daemon.WithSignals(make(chan os.Signal)),
				daemon.WithNotifier(&notes{}), daemon.WithLogger(log), daemon.WithWatchdog(0))
		}()
		synctest.Wait()
		var out outcome
		select {
		case out = <-done:
		default:
			t.Fatal("Run has not returned")
		}
		if out.panicked != nil {
			t.Fatalf("Run panicked: %v", out.panicked)
		}
		if out.code != daemon.ExitFailure {
			t.Errorf("Run = %d, %v; want ExitFailure", out.code, out.err)
		}
		if n := bad.calls.Load(); n >= cyclicBound/2 {
			t.Errorf("the error's methods were called %d times: an unbounded walk", n)
		}
	})
}
