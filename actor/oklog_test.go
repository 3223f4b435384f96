package actor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/oklog/run"
)

var errStopped = errors.New("stopped by its peer")

// TestFromRunWithOklogPairs runs the same execute/interrupt pairs once in a
// real run.Group and once as actors, and checks the adapter keeps the
// contract of run.Group: interrupt makes execute return, and Run returns
// execute's result.
func TestFromRunWithOklogPairs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stop := make(chan struct{})
		var interrupts atomic.Int32
		execute := func() error { <-stop; return errStopped }
		interrupt := func(error) { interrupts.Add(1); close(stop) }

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- actor.FromRun(execute, interrupt).Run(ctx) }()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, errStopped) {
			t.Fatalf("Run = %v, want execute's result", err)
		}
		if interrupts.Load() != 1 {
			t.Fatalf("interrupt called %d times, want 1", interrupts.Load())
		}
	})
}

// TestToRunInOklogGroup puts an actor into a real run.Group beside a peer
// that ends: the group interrupts the actor, whose context is cancelled with
// the peer's error as the cause.
func TestToRunInOklogGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		a := actor.Func(func(ctx context.Context) error {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return nil
		})
		var g run.Group
		execute, interrupt := actor.ToRun(t.Context(), a)
		g.Add(execute, interrupt)
		peerStop := make(chan struct{})
		g.Add(func() error { <-peerStop; return errStopped }, func(error) {})
		done := make(chan error, 1)
		go func() { done <- g.Run() }()
		synctest.Wait()
		close(peerStop)
		if err := <-done; !errors.Is(err, errStopped) {
			t.Fatalf("Group.Run = %v, want the peer's error", err)
		}
		if !errors.Is(cause, errStopped) {
			t.Fatalf("actor's context cause = %v, want the peer's error", cause)
		}
	})
}

// TestToRunInterruptBeforeExecute checks that an interrupt that comes first
// makes execute return at once.
func TestToRunInterruptBeforeExecute(t *testing.T) {
	execute, interrupt := actor.ToRun(context.Background(), actor.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return context.Cause(ctx)
	}))
	interrupt(nil)
	interrupt(errStopped) // later calls change nothing
	if err := execute(); !errors.Is(err, context.Canceled) {
		t.Fatalf("execute = %v, want context.Canceled", err)
	}
}

// TestFromRunInterruptsLikeOklog runs an execute that returns by itself once
// in a real run.Group and once through FromRun: both call its interrupt
// exactly once, with execute's own error, before they return.
func TestFromRunInterruptsLikeOklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		newPair := func() (func() error, func(error), *[]error) {
			var causes []error
			return func() error { return errStopped }, func(err error) { causes = append(causes, err) }, &causes
		}

		execute, interrupt, groupCauses := newPair()
		var g run.Group
		g.Add(execute, interrupt)
		if err := g.Run(); err != errStopped {
			t.Fatalf("Group.Run = %v, want execute's error", err)
		}

		execute, interrupt, adapterCauses := newPair()
		if err := actor.FromRun(execute, interrupt).Run(t.Context()); err != errStopped {
			t.Fatalf("Run = %v, want execute's error", err)
		}
		for name, causes := range map[string][]error{"run.Group": *groupCauses, "FromRun": *adapterCauses} {
			if len(causes) != 1 || causes[0] != errStopped {
				t.Errorf("%s called interrupt with %v, want once with execute's error", name, causes)
			}
		}
	})
}

// TestFromRunInsideToRun puts a FromRun adapter back into a real run.Group
// through ToRun, beside a peer that ends: the group's interrupt cancels the
// adapter's context, and the wrapped interrupt runs once with the peer's
// error as the cause.
func TestFromRunInsideToRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stop := make(chan struct{})
		var causes []error
		a := actor.FromRun(
			func() error { <-stop; return nil },
			func(err error) { causes = append(causes, err); close(stop) },
		)
		var g run.Group
		g.Add(actor.ToRun(t.Context(), a))
		peerStop := make(chan struct{})
		g.Add(func() error { <-peerStop; return errStopped }, func(error) {})
		done := make(chan error, 1)
		go func() { done <- g.Run() }()
		synctest.Wait()
		close(peerStop)
		if err := <-done; err != errStopped {
			t.Fatalf("Group.Run = %v, want the peer's error", err)
		}
		if len(causes) != 1 || causes[0] != errStopped {
			t.Fatalf("interrupt called with %v, want once with the peer's error", causes)
		}
	})
}
