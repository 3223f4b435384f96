package actor_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
)

var (
	_ actor.Actor     = actor.Func(nil)
	_ actor.Validator = actor.Func(nil)
)

type ctxKey struct{}

func TestFuncNil(t *testing.T) {
	var f actor.Func
	if err := f.Validate(); err != actor.ErrNilFunc {
		t.Errorf("Validate() = %v, want ErrNilFunc", err)
	}
	if err := f.Run(context.Background()); err != actor.ErrNilFunc {
		t.Errorf("Run() = %v, want ErrNilFunc", err)
	}
	var a actor.Actor = f // a nil Func in an interface is not a nil interface
	if err := a.Run(context.Background()); !errors.Is(err, actor.ErrNilFunc) {
		t.Errorf("Run() through Actor = %v, want ErrNilFunc", err)
	}
}

func TestFuncRun(t *testing.T) {
	boom := errors.New("boom")
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	for _, want := range []error{nil, boom} {
		calls := 0
		f := actor.Func(func(got context.Context) error {
			calls++
			if got.Value(ctxKey{}) != "v" {
				t.Errorf("Func got a context without the caller's values")
			}
			return want
		})
		if err := f.Validate(); err != nil {
			t.Errorf("Validate() = %v, want nil", err)
		}
		if err := f.Run(ctx); err != want {
			t.Errorf("Run() = %v, want %v", err, want)
		}
		if calls != 1 {
			t.Errorf("function called %d times, want 1", calls)
		}
	}
}

func TestFuncPanicPropagates(t *testing.T) {
	// Func does not recover: recovering is the supervisor's job.
	defer func() {
		if v := recover(); v != "boom" {
			t.Errorf("recovered %v, want the function's panic", v)
		}
	}()
	actor.Func(func(context.Context) error { panic("boom") }).Run(context.Background())
	t.Error("Run returned")
}

func TestReadyNoOp(t *testing.T) {
	actor.Ready(context.Background())
	actor.Ready(context.TODO())
	var nilCtx context.Context
	actor.Ready(nilCtx)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	actor.Ready(ctx)
}

func TestReadyCallsNotify(t *testing.T) {
	var calls atomic.Int32
	ctx := actor.WithReady(context.Background(), func() { calls.Add(1) })
	actor.Ready(ctx)
	if got := calls.Load(); got != 1 {
		t.Fatalf("notify called %d times, want 1", got)
	}
	actor.Ready(ctx) // safe to call again; each call reaches notify
	if got := calls.Load(); got != 2 {
		t.Fatalf("notify called %d times, want 2", got)
	}
}

func TestReadyThroughDerivedContexts(t *testing.T) {
	var calls atomic.Int32
	base := actor.WithReady(context.Background(), func() { calls.Add(1) })
	cancelCtx, cancel := context.WithCancel(base)
	defer cancel()
	causeCtx, cancelCause := context.WithCancelCause(base)
	defer cancelCause(nil)
	timeoutCtx, cancelTimeout := context.WithTimeout(base, time.Hour)
	defer cancelTimeout()
	cancelledCtx, cancelNow := context.WithCancel(base)
	cancelNow()
	derived := []context.Context{
		cancelCtx,
		causeCtx,
		timeoutCtx,
		cancelledCtx,
		context.WithValue(base, ctxKey{}, 1),
		context.WithoutCancel(base),
		context.WithValue(context.WithoutCancel(cancelCtx), ctxKey{}, 2),
	}
	for i, ctx := range derived {
		before := calls.Load()
		actor.Ready(ctx)
		if got := calls.Load() - before; got != 1 {
			t.Errorf("derived context %d: notify called %d times, want 1", i, got)
		}
	}
}

func TestWithReadyNilHidesParent(t *testing.T) {
	var calls atomic.Int32
	parent := actor.WithReady(context.Background(), func() { calls.Add(1) })
	hidden := actor.WithReady(parent, nil)
	actor.Ready(hidden)
	actor.Ready(context.WithValue(hidden, ctxKey{}, 1))
	if got := calls.Load(); got != 0 {
		t.Errorf("parent's notify called %d times through WithReady(ctx, nil), want 0", got)
	}
	actor.Ready(parent)
	if got := calls.Load(); got != 1 {
		t.Errorf("parent's notify called %d times, want 1", got)
	}
}

func TestWithReadyInnerWins(t *testing.T) {
	var outer, inner atomic.Int32
	ctx := actor.WithReady(context.Background(), func() { outer.Add(1) })
	ctx = actor.WithReady(ctx, func() { inner.Add(1) })
	actor.Ready(ctx)
	if outer.Load() != 0 || inner.Load() != 1 {
		t.Errorf("outer %d, inner %d calls, want 0 and 1", outer.Load(), inner.Load())
	}
}

// TestReadyFromActor is how a supervisor uses readiness: it runs the actor
// with a WithReady context and waits for notify before going on.
func TestReadyFromActor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ready, warm := make(chan struct{}), make(chan struct{})
		var once sync.Once
		ctx, cancel := context.WithCancel(actor.WithReady(context.Background(), func() { once.Do(func() { close(ready) }) }))
		a := actor.Func(func(ctx context.Context) error {
			<-warm // warming up
			actor.Ready(ctx)
			actor.Ready(ctx)
			<-ctx.Done()
			return context.Cause(ctx)
		})
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		synctest.Wait()
		select {
		case <-ready:
			t.Fatal("ready before the actor called Ready")
		default:
		}
		close(warm)
		<-ready
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
	})
}
