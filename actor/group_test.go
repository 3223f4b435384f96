package actor_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
)

// The first error cancels the group's context with itself as the cause,
// later errors are dropped, and RunGroup returns it after every goroutine
// returned.
func TestGroupFirstErrorCancelsAndIsReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first, later := errors.New("first"), errors.New("later")
		var returned atomic.Int64
		err := actor.RunGroup(t.Context(), func(ctx context.Context, g *actor.Group) error {
			for range 3 {
				g.Go(func() error {
					<-ctx.Done()
					returned.Add(1)
					if context.Cause(ctx) != first {
						t.Errorf("cause %v, want the first error", context.Cause(ctx))
					}
					return later
				})
			}
			g.Go(func() error { return first })
			return nil
		})
		if err != first {
			t.Errorf("RunGroup = %v, want the first error", err)
		}
		if n := returned.Load(); n != 3 {
			t.Errorf("RunGroup returned while %d of 3 goroutines ran", 3-n)
		}
	})
}

// The body's own error is a failure of the group like any other.
func TestGroupBodyErrorCancelsGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		stopped := false
		err := actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
			g.Go(func() error {
				<-ctx.Done()
				stopped = true
				return nil
			})
			return boom
		}).Run(t.Context())
		if err != boom || !stopped {
			t.Errorf("Run = %v, goroutine stopped %v; want boom after the goroutine stopped", err, stopped)
		}
	})
}

// A panic in a goroutine is raised again on RunGroup's goroutine, after
// the others returned, as a *PanicError with the value and the stack of
// the goroutine that panicked; it wins over an error that came first.
func TestGroupPanicCarriesOriginStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var others atomic.Int64
		var got any
		func() {
			defer func() { got = recover() }()
			_ = actor.RunGroup(t.Context(), func(ctx context.Context, g *actor.Group) error {
				g.Go(func() error { return errors.New("an error first") })
				g.Go(func() error {
					<-ctx.Done()
					return groupPanicker()
				})
				g.Go(func() error {
					<-ctx.Done()
					others.Add(1)
					return nil
				})
				return nil
			})
		}()
		p, ok := got.(*actor.PanicError)
		if !ok {
			t.Fatalf("recovered %T %v, want *actor.PanicError", got, got)
		}
		if p.Value != "group goroutine broke" {
			t.Errorf("Value = %v", p.Value)
		}
		stack := string(p.Stack)
		if !strings.Contains(stack, "groupPanicker") || strings.Contains(stack, "actor.RunGroup(") {
			t.Errorf("Stack is not the panicking goroutine's:\n%s", stack)
		}
		if others.Load() != 1 {
			t.Error("the panic was raised again before the other goroutine returned")
		}
		if !strings.Contains(p.Error(), "group goroutine broke") || !strings.Contains(p.Error(), "groupPanicker") {
			t.Errorf("Error() lacks the value or the origin stack: %q", p.Error())
		}
	})
}

//go:noinline
func groupPanicker() error { panic("group goroutine broke") }

// A runtime.Goexit in a goroutine fails the group with ErrGoexit.
func TestGroupGoexitFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := actor.RunGroup(t.Context(), func(ctx context.Context, g *actor.Group) error {
			g.Go(func() error { runtime.Goexit(); return nil })
			return nil
		})
		if !errors.Is(err, actor.ErrGoexit) {
			t.Errorf("RunGroup = %v, want ErrGoexit", err)
		}
	})
}

// When the body panics, the group is cancelled and joined before the panic
// leaves RunGroup.
func TestGroupJoinedWhenBodyPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int64
		var atPanic int64 = -1
		func() {
			defer func() {
				atPanic = running.Load()
				if v := recover(); v != "body broke" {
					t.Errorf("recovered %v, want the body's own panic", v)
				}
			}()
			_ = actor.RunGroup(t.Context(), func(ctx context.Context, g *actor.Group) error {
				running.Add(1)
				g.Go(func() error {
					defer running.Add(-1)
					<-ctx.Done()
					return nil
				})
				panic("body broke")
			})
		}()
		if atPanic != 0 {
			t.Errorf("%d goroutines of the group still ran when the panic left RunGroup", atPanic)
		}
	})
}

// Once the group has been joined, Go and TryGo start nothing.
func TestGroupStartsNothingAfterJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var kept *actor.Group
		if err := actor.RunGroup(t.Context(), func(ctx context.Context, g *actor.Group) error {
			kept = g
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ran := false
		kept.Go(func() error { ran = true; return nil })
		if kept.TryGo(func() error { ran = true; return nil }) {
			t.Error("TryGo after the join reported true")
		}
		synctest.Wait()
		if ran {
			t.Error("a function given after the join ran")
		}
	})
}

// SetLimit bounds the goroutines running at once; TryGo refuses beyond it.
func TestGroupLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		err := actor.RunGroup(t.Context(), func(ctx context.Context, g *actor.Group) error {
			g.SetLimit(1)
			g.Go(func() error { <-release; return nil })
			if g.TryGo(func() error { return nil }) {
				t.Error("TryGo started a second goroutine with a limit of 1")
			}
			close(release)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
}

func TestGroupFuncNil(t *testing.T) {
	var f actor.GroupFunc
	if err := f.Validate(); err != actor.ErrNilFunc {
		t.Errorf("Validate = %v", err)
	}
	if err := f.Run(t.Context()); err != actor.ErrNilFunc {
		t.Errorf("Run = %v", err)
	}
	if err := actor.RunGroup(t.Context(), nil); err != actor.ErrNilFunc {
		t.Errorf("RunGroup(nil) = %v", err)
	}
}
