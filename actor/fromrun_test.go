package actor_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
)

// outcome is how one Run call ended: returned with err, panicked with
// value, or ended its goroutine with runtime.Goexit.
type outcome struct {
	returned bool
	err      error
	panicked bool
	value    any
	goexit   bool
}

// runIn calls a.Run(ctx) on a goroutine of its own and reports how it ended
// on the returned channel.
func runIn(ctx context.Context, a actor.Actor) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		var o outcome
		normal := false
		defer func() {
			if !normal {
				if v := recover(); v != nil {
					o.panicked, o.value = true, v
				} else {
					o.goexit = true
				}
			}
			ch <- o
		}()
		o.err = a.Run(ctx)
		o.returned, normal = true, true
	}()
	return ch
}

// TestFromRunInterruptAfterExecuteReturned is the regression test of issue
// 10 item 19: when execute returns by itself, interrupt is still called once,
// with execute's error, and Run waits for it.
func TestFromRunInterruptAfterExecuteReturned(t *testing.T) {
	for _, want := range []error{nil, errors.New("boom")} {
		synctest.Test(t, func(t *testing.T) {
			finish, release := make(chan struct{}), make(chan struct{})
			var calls atomic.Int32
			causes := make(chan error, 10)
			a := actor.FromRun(
				func() error { <-finish; return want },
				func(cause error) { calls.Add(1); causes <- cause; <-release },
			)
			ctx, cancel := context.WithCancel(context.Background())
			done := runIn(ctx, a)
			synctest.Wait()
			if n := calls.Load(); n != 0 {
				t.Fatalf("interrupt called %d times while execute runs", n)
			}
			close(finish)
			synctest.Wait() // execute has returned; interrupt blocks on release
			if got := <-causes; got != want {
				t.Errorf("interrupt got %v, want execute's error %v", got, want)
			}
			select {
			case <-done:
				t.Fatal("Run returned while interrupt was still running")
			default:
			}
			close(release)
			if o := <-done; !o.returned || o.err != want {
				t.Errorf("Run ended %+v, want it to return %v", o, want)
			}
			cancel() // what the supervisor does after the exit
			synctest.Wait()
			if n := calls.Load(); n != 1 {
				t.Errorf("interrupt called %d times, want exactly 1", n)
			}
		})
	}
}

// TestFromRunExecuteEndsAbruptly: an execute that panics or calls
// runtime.Goexit gets its interrupt too, before Run is gone, and the panic
// or Goexit goes on.
func TestFromRunExecuteEndsAbruptly(t *testing.T) {
	for name, execute := range map[string]func() error{
		"panic":  func() error { panic("boom") },
		"goexit": func() error { runtime.Goexit(); return nil },
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				var cause error
				a := actor.FromRun(execute, func(err error) { calls.Add(1); cause = err })
				ctx, cancel := context.WithCancel(context.Background())
				o := <-runIn(ctx, a)
				if n := calls.Load(); n != 1 || cause != actor.ErrExecuteAborted {
					t.Errorf("before Run was gone: interrupt called %d times with %v, want once with ErrExecuteAborted", n, cause)
				}
				switch name {
				case "panic":
					if !o.panicked || o.value != "boom" {
						t.Errorf("Run ended %+v, want execute's panic", o)
					}
				case "goexit":
					if !o.goexit {
						t.Errorf("Run ended %+v, want execute's Goexit", o)
					}
				}
				cancel()
				synctest.Wait()
				if n := calls.Load(); n != 1 {
					t.Errorf("interrupt called %d times, want exactly 1", n)
				}
			})
		})
	}
}

// TestFromRunInterruptPanicIsFailure is the regression test of issue 10
// item 7: a panic in interrupt never crashes the process; Run panics with the
// same value in its caller's goroutine once execute has returned.
func TestFromRunInterruptPanicIsFailure(t *testing.T) {
	t.Run("on cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			stop := make(chan struct{})
			a := actor.FromRun(
				func() error { <-stop; return errExecute },
				func(error) { close(stop); panic("interrupt exploded") },
			)
			ctx, cancel := context.WithCancel(context.Background())
			done := runIn(ctx, a)
			synctest.Wait()
			cancel()
			if o := <-done; !o.panicked || o.value != "interrupt exploded" {
				t.Errorf("Run ended %+v, want a panic with interrupt's value", o)
			}
		})
	})
	t.Run("after execute returned", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			value := errors.New("interrupt exploded")
			a := actor.FromRun(func() error { return nil }, func(error) { panic(value) })
			if o := <-runIn(context.Background(), a); !o.panicked || o.value != value {
				t.Errorf("Run ended %+v, want a panic with interrupt's value", o)
			}
		})
	})
	t.Run("before stopping execute", func(t *testing.T) {
		// interrupt panics without making execute return: Run keeps waiting
		// for execute, which is all it can do, then fails.
		synctest.Test(t, func(t *testing.T) {
			stop := make(chan struct{})
			a := actor.FromRun(
				func() error { <-stop; return nil },
				func(error) { panic("interrupt exploded") },
			)
			ctx, cancel := context.WithCancel(context.Background())
			done := runIn(ctx, a)
			synctest.Wait()
			cancel()
			synctest.Wait()
			select {
			case o := <-done:
				t.Fatalf("Run ended %+v while execute was still running", o)
			default:
			}
			close(stop)
			if o := <-done; !o.panicked || o.value != "interrupt exploded" {
				t.Errorf("Run ended %+v, want a panic with interrupt's value", o)
			}
		})
	})
	t.Run("execute's panic wins", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := actor.FromRun(
				func() error { panic("execute exploded") },
				func(error) { panic("interrupt exploded") },
			)
			if o := <-runIn(context.Background(), a); !o.panicked || o.value != "execute exploded" {
				t.Errorf("Run ended %+v, want execute's panic", o)
			}
		})
	})
	t.Run("execute's Goexit wins", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := actor.FromRun(
				func() error { runtime.Goexit(); return nil },
				func(error) { panic("interrupt exploded") },
			)
			if o := <-runIn(context.Background(), a); !o.goexit {
				t.Errorf("Run ended %+v, want execute's Goexit", o)
			}
		})
	})
}

// TestFromRunInterruptGoexit: a Goexit in interrupt never hangs Run, which
// returns an error wrapping ErrInterruptGoexit and execute's error.
func TestFromRunInterruptGoexit(t *testing.T) {
	t.Run("on cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			stop := make(chan struct{})
			a := actor.FromRun(
				func() error { <-stop; return errExecute },
				func(error) { close(stop); runtime.Goexit() },
			)
			ctx, cancel := context.WithCancel(context.Background())
			done := runIn(ctx, a)
			synctest.Wait()
			cancel()
			o := <-done
			if !o.returned || !errors.Is(o.err, actor.ErrInterruptGoexit) || !errors.Is(o.err, errExecute) {
				t.Fatalf("Run ended %+v, want an error wrapping ErrInterruptGoexit and execute's error", o)
			}
			if want := "actor: interrupt called runtime.Goexit; execute returned: execute returned"; o.err.Error() != want {
				t.Errorf("Error() = %q, want %q", o.err.Error(), want)
			}
		})
	})
	t.Run("after execute returned nil", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := actor.FromRun(func() error { return nil }, func(error) { runtime.Goexit() })
			if o := <-runIn(context.Background(), a); !o.returned || o.err != actor.ErrInterruptGoexit {
				t.Errorf("Run ended %+v, want it to return ErrInterruptGoexit", o)
			}
		})
	})
	t.Run("execute's panic wins", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := actor.FromRun(func() error { panic("execute exploded") }, func(error) { runtime.Goexit() })
			if o := <-runIn(context.Background(), a); !o.panicked || o.value != "execute exploded" {
				t.Errorf("Run ended %+v, want execute's panic", o)
			}
		})
	})
}

// TestFromRunCancelRacesExecute lets cancellation and execute's own return
// race, on real goroutines (run it with -race -count=N): whichever wins,
// interrupt runs exactly once, gets one of the two causes, and has finished
// when Run returns.
func TestFromRunCancelRacesExecute(t *testing.T) {
	cause := errors.New("stop now")
	for range 200 {
		var calls atomic.Int32
		var finished atomic.Bool
		var got error
		start := make(chan struct{})
		a := actor.FromRun(
			func() error { <-start; return errExecute },
			func(err error) { got = err; calls.Add(1); runtime.Gosched(); finished.Store(true) },
		)
		ctx, cancel := context.WithCancelCause(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { <-start; cancel(cause) })
		done := runIn(ctx, a)
		close(start)
		o := <-done
		if !finished.Load() {
			t.Fatal("Run returned before interrupt finished")
		}
		wg.Wait()
		if !o.returned || o.err != errExecute {
			t.Fatalf("Run ended %+v, want execute's error", o)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("interrupt called %d times, want 1", n)
		}
		if got != cause && got != errExecute {
			t.Fatalf("interrupt got %v, want the cause or execute's error", got)
		}
	}
}
