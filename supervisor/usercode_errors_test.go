package supervisor_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// ucBadErrors are the two misbehaving errors of a start failure: an Is that
// panics and an Unwrap that returns its own receiver.
var ucBadErrors = []struct {
	name string
	make func(*ucRun) *ucErr
}{
	{"IsPanics", func(u *ucRun) *ucErr { return &ucErr{u: u, panicIs: true} }},
	{"UnwrapReturnsItself", func(u *ucRun) *ucErr { return &ucErr{u: u, selfUnwrap: true} }},
}

// TestStartFailureErrorNeverExaminedOnRunsGoroutine fails the initial start
// of a WaitReady child with an error whose Is panics, and with one whose
// Unwrap returns itself. Run must return a *StartError holding that error,
// without calling any of its methods on Run's own goroutine: neither a
// panic (a crash of a process's main) nor an endless walk.
func TestStartFailureErrorNeverExaminedOnRunsGoroutine(t *testing.T) {
	for _, bad := range ucBadErrors {
		t.Run(bad.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var e atomic.Pointer[ucErr]
				stop := make(chan struct{}) // ends the workers even if Run failed to
				defer close(stop)
				gate := make(chan struct{}) // the error needs Run's goroutine, known once Run is called
				failing := actor.Func(func(ctx context.Context) error { <-gate; return e.Load() })
				sup := ssNew(t, "root", supervisor.WithChildren(
					supervisor.Child{Name: "a", Actor: ucWorker(stop)},
					supervisor.Child{Name: "db", Actor: failing, WaitReady: true}))
				u := ucGo(t.Context(), sup)
				e.Store(bad.make(u))
				close(gate)
				synctest.Wait()
				err := u.result(t)
				e.Load().check(t)
				se, ok := err.(*supervisor.StartError)
				if !ok {
					t.Fatalf("Run returned %T, want *supervisor.StartError", err)
				}
				if se.Child != "root/db" || se.Err != error(e.Load()) {
					t.Fatalf("StartError names %s with %T, want root/db with the child's error", se.Child, se.Err)
				}
			})
		})
	}
}

// TestGroupRestartStartFailureErrorNeverExaminedOnRunsGoroutine does the
// same during a one-for-all group restart: the child that fails to start
// again makes the group restart again, and the loop that decides that runs
// on Run's goroutine.
func TestGroupRestartStartFailureErrorNeverExaminedOnRunsGoroutine(t *testing.T) {
	for _, bad := range ucBadErrors {
		t.Run(bad.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var e atomic.Pointer[ucErr]
				stop := make(chan struct{}) // ends the workers even if Run failed to
				defer close(stop)
				var starts atomic.Int64
				// a fails once, after it was ready: its group restarts.
				a := actor.Func(func(ctx context.Context) error {
					if starts.Add(1) == 1 {
						time.Sleep(time.Second)
						return context.DeadlineExceeded
					}
					return ucWorker(stop)(ctx)
				})
				// db starts the first time, then fails to start each time.
				var dbStarts atomic.Int64
				db := actor.Func(func(ctx context.Context) error {
					if dbStarts.Add(1) > 1 {
						return e.Load()
					}
					actor.Ready(ctx)
					return ucWorker(stop)(ctx)
				})
				sup := ssNew(t, "root", supervisor.WithStrategy(policy.OneForAll),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 3, Period: time.Minute}),
					supervisor.WithChildren(
						supervisor.Child{Name: "a", Actor: a},
						supervisor.Child{Name: "db", Actor: db, WaitReady: true}))
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				u := ucGo(ctx, sup)
				e.Store(bad.make(u))
				time.Sleep(time.Minute)
				synctest.Wait()
				err := u.result(t)
				e.Load().check(t)
				esc, ok := err.(*supervisor.EscalationError)
				if !ok {
					t.Fatalf("Run returned %T, want *supervisor.EscalationError", err)
				}
				if esc.Child != "root/db" || esc.Err != error(e.Load()) {
					t.Fatalf("escalation names %s with %T, want root/db with its error", esc.Child, esc.Err)
				}
			})
		})
	}
}

// TestNestedEscalationTextTakenByChildGoroutine has a child return an
// *EscalationError made by user code, whose leaf text is not known and whose
// Err is a user's error: when its supervisor gives up, the escalation's text
// names that leaf. Reading it calls the user's Error, which must happen in
// the child's goroutine, not on Run's (which holds the lock there).
func TestNestedEscalationTextTakenByChildGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e atomic.Pointer[ucErr]
		gate := make(chan struct{})
		failing := actor.Func(func(ctx context.Context) error {
			<-gate
			return &supervisor.EscalationError{Supervisor: "other", Child: "other/x", Origin: "other/x", Reason: "intensity", Err: e.Load()}
		})
		sup := ssNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: failing}))
		u := ucGo(t.Context(), sup)
		e.Store(&ucErr{u: u})
		close(gate)
		synctest.Wait()
		err := u.result(t)
		e.Load().check(t)
		esc, ok := err.(*supervisor.EscalationError)
		if !ok {
			t.Fatalf("Run returned %T, want *supervisor.EscalationError", err)
		}
		if want := "root gave up: 0 restarts in 1s, then other/x failed: user error"; esc.Error() != want {
			t.Fatalf("escalation reads %q, want %q", esc.Error(), want)
		}
	})
}
