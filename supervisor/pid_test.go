package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

func TestStuckReportNamesThePIDTheChildSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		stuck := actor.Func(func(ctx context.Context) error {
			supervisor.SetPID(ctx, 4242)
			actor.Ready(ctx)
			<-ctx.Done()
			<-release
			return nil
		})
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "prog", Actor: stuck, WaitReady: true, ShutdownTimeout: time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		err := <-done
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 {
			t.Fatalf("Run = %v, want a *StuckError with one child", err)
		}
		if got := se.Stuck[0].PID; got != 4242 {
			t.Errorf("StuckChild.PID = %d, want 4242", got)
		}
		if !strings.Contains(err.Error(), "root/prog (after 1s, pid 4242)") {
			t.Errorf("Run's error %q does not name the pid", err)
		}
	})
}

func TestStuckReportHasNoPIDAfterTheChildClearedIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		stuck := actor.Func(func(ctx context.Context) error {
			supervisor.SetPID(ctx, 4242)
			supervisor.SetPID(ctx, 0)
			actor.Ready(ctx)
			<-ctx.Done()
			<-release
			return nil
		})
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "prog", Actor: stuck, WaitReady: true, ShutdownTimeout: time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		var se *supervisor.StuckError
		if err := <-done; !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].PID != 0 {
			t.Fatalf("Run = %v, want a *StuckError with one child and no pid", err)
		}
	})
}

func TestSetPIDOutsideASupervisorIsANoOp(t *testing.T) {
	supervisor.SetPID(context.Background(), 1)
	//lint:ignore SA1012 a nil context is documented as a no-op
	supervisor.SetPID(nil, 1)
}

// validatorActor is an actor whose Validate fails with err.
type validatorActor struct{ err error }

func (validatorActor) Run(ctx context.Context) error { return nil }
func (v validatorActor) Validate() error             { return v.err }

type validateErr struct{ field string }

func (e *validateErr) Error() string { return "bad " + e.field }

func TestAddKeepsTheActorsValidationErrorForErrorsAs(t *testing.T) {
	_, err := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "p", Actor: validatorActor{&validateErr{"Path"}}},
	))
	var ce *supervisor.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Child[p].Actor" {
		t.Fatalf("New = %v, want a *ConfigError for the actor", err)
	}
	var ve *validateErr
	if !errors.As(err, &ve) || ve.field != "Path" {
		t.Fatalf("errors.As(%v) does not reach the actor's own error", err)
	}
}
