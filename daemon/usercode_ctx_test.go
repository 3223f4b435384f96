package daemon_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// hostileCtx is a context whose Value or Done panics or calls
// runtime.Goexit.
type hostileCtx struct {
	context.Context
	method string // "Value" or "Done"
	goexit bool
}

func (c hostileCtx) misbehave() {
	if c.goexit {
		runtime.Goexit()
	}
	panic(c.method + " panicked")
}

func (c hostileCtx) Value(key any) any {
	if c.method == "Value" {
		c.misbehave()
	}
	return c.Context.Value(key)
}

func (c hostileCtx) Done() <-chan struct{} {
	if c.method == "Done" {
		c.misbehave()
	}
	return c.Context.Done()
}

// TestRunContextThatPanicsEndsRunWithAnError gives daemon.Run a context
// whose Value or Done panics or calls runtime.Goexit. The context is user
// code, as it is for supervisor.Run: daemon.Run must return ExitFailure
// with an error wrapping the *supervisor.PanicError (or ErrGoexit), never
// panic nor end its caller's goroutine, and leave nothing running.
func TestRunContextThatPanicsEndsRunWithAnError(t *testing.T) {
	for _, method := range []string{"Value", "Done"} {
		for _, goexit := range []bool{false, true} {
			name := method + "Panics"
			if goexit {
				name = method + "CallsGoexit"
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					root := supervisortest.New(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w",
						Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })}))
					log, _ := supervisortest.ObservedLogger(zapcore.DebugLevel)
					type outcome struct {
						code     int
						err      error
						panicked any
						returned bool
					}
					done := make(chan outcome, 1)
					go func() {
						var out outcome
						defer func() {
							out.panicked = recover()
							done <- out
						}()
						ctx := hostileCtx{Context: t.Context(), method: method, goexit: goexit}
						out.code, out.err = daemon.Run(ctx, root, daemon.WithSignals(make(chan os.Signal)),
							daemon.WithNotifier(&notes{}), daemon.WithLogger(log), daemon.WithWatchdog(0))
						out.returned = true
					}()
					synctest.Wait()
					var out outcome
					select {
					case out = <-done:
					default:
						t.Fatal("Run has not returned")
					}
					switch {
					case out.panicked != nil:
						t.Fatalf("Run panicked: %v", out.panicked)
					case !out.returned:
						t.Fatal("Run's goroutine ended in runtime.Goexit")
					}
					var pe *supervisor.PanicError
					if out.code != daemon.ExitFailure || !(errors.As(out.err, &pe) || errors.Is(out.err, supervisor.ErrGoexit)) {
						t.Errorf("Run = %d, %v; want ExitFailure and the context's panic or Goexit", out.code, out.err)
					}
				})
			})
		}
	}
}
