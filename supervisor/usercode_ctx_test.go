package supervisor_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// ucCtx is a context given to Run whose methods are user code: each call
// records whether it ran on Run's goroutine or while the supervisor's lock
// was held, and the method named bad panics (or, with goexit, calls
// runtime.Goexit).
type ucCtx struct {
	context.Context
	u      *ucRun
	sup    *supervisor.Supervisor
	bad    string // "Value", "Done" or "Err", or "" for none
	goexit bool
	health bool          // Value calls sup.Health, as a context that logs the tree's state might
	block  chan struct{} // if not nil, Value waits until it is closed

	runs  sync.Map                 // ids of other goroutines that called a Run (nested ones)
	locks []*supervisor.Supervisor // the supervisors whose locks must be free (sup's, if nil)

	calls, onRun, locked atomic.Int64
}

// onRunG reports whether the caller is the goroutine of a Run c knows of.
func (c *ucCtx) onRunG() bool {
	if c.u.onRun() {
		return true
	}
	_, ok := c.runs.Load(goid())
	return ok
}

// lockHeld reports whether the lock of a supervisor c watches is held.
func (c *ucCtx) lockHeld() bool {
	sups := c.locks
	if sups == nil {
		sups = []*supervisor.Supervisor{c.sup}
	}
	for _, s := range sups {
		if supervisor.LockHeld(s) {
			return true
		}
	}
	return false
}

func (c *ucCtx) enter(method string) {
	c.calls.Add(1)
	if c.onRunG() {
		c.onRun.Add(1)
	}
	if c.lockHeld() {
		c.locked.Add(1) // calling Health now could deadlock the test
	} else if method == "Value" && c.health {
		c.sup.Health()
	}
	if method == "Value" && c.block != nil {
		<-c.block
	}
	if method == c.bad {
		if c.goexit {
			runtime.Goexit()
		}
		panic("context's " + method + " panicked")
	}
}

func (c *ucCtx) Value(key any) any     { c.enter("Value"); return c.Context.Value(key) }
func (c *ucCtx) Done() <-chan struct{} { c.enter("Done"); return c.Context.Done() }
func (c *ucCtx) Err() error            { c.enter("Err"); return c.Context.Err() }
func (c *ucCtx) check(t *testing.T)    { t.Helper(); c.checkCalls(t) }
func (c *ucCtx) checkCalls(t *testing.T) {
	t.Helper()
	if n := c.onRun.Load(); n > 0 {
		t.Errorf("the context's methods ran %d times on Run's own goroutine", n)
	}
	if n := c.locked.Load(); n > 0 {
		t.Errorf("the context's methods ran %d times with the supervisor's lock held", n)
	}
}

// TestRunCallsItsContextOffTheLockAndOffItsGoroutine runs a tree with a
// context whose methods are user code, and whose Value calls Health: Run
// calls them neither with the supervisor's lock held (Health would
// deadlock) nor on its own goroutine, and the tree starts, becomes ready
// and stops when the context is cancelled.
func TestRunCallsItsContextOffTheLockAndOffItsGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		base, cancel := context.WithCancel(t.Context())
		defer cancel()
		ctx := &ucCtx{Context: base, health: true}
		ready := actor.Func(func(c context.Context) error { actor.Ready(c); return ucWorker(stop)(c) })
		// A nested supervisor given directly, and one run by a worker with
		// a context of the worker's own, derived from its incarnation's.
		nested := ssNew(t, "nested", supervisor.WithChildren(supervisor.Child{Name: "n", Actor: ucWorker(stop)}))
		inner := ssNew(t, "inner", supervisor.WithChildren(supervisor.Child{Name: "i", Actor: ucWorker(stop)}))
		type key struct{}
		wrapped := actor.Func(func(c context.Context) error {
			ctx.runs.Store(goid(), true)
			return inner.Run(context.WithValue(c, key{}, "wrapped"))
		})
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ucWorker(stop)},
			supervisor.Child{Name: "b", Actor: ready, WaitReady: true},
			supervisor.Child{Name: "nested", Actor: nested},
			supervisor.Child{Name: "inner", Actor: wrapped, Kind: supervisor.KindSupervisor}))
		ctx.sup, ctx.u = sup, ucNew()
		ctx.locks = []*supervisor.Supervisor{sup, nested, inner}
		ctx.u.start(ctx, sup)
		synctest.Wait()
		if h := sup.Health(); !h.Ready {
			t.Errorf("Health = %+v, want ready", h)
		}
		for _, path := range []string{"root/nested/n", "root/inner/i"} {
			if !ucHasPath(sup.Snapshot(), path) {
				t.Errorf("%s is not in the tree: %s", path, sup.Snapshot())
			}
		}
		cancel()
		synctest.Wait()
		if err := ctx.u.result(t); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if ctx.calls.Load() == 0 {
			t.Fatal("Run never called its context's methods")
		}
		ctx.check(t)
	})
}

// TestRunContextValueThatBlocksHoldsNoLock gives Run a context whose Value
// blocks: while it does, Run holds no lock (Health answers), and once it
// returns the tree starts as usual.
func TestRunContextValueThatBlocksHoldsNoLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		release := make(chan struct{})
		base, cancel := context.WithCancel(t.Context())
		defer cancel()
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: ucWorker(stop)}))
		ctx := &ucCtx{Context: base, block: release, sup: sup, u: ucNew()}
		ctx.u.start(ctx, sup)
		synctest.Wait()
		if supervisor.LockHeld(sup) {
			t.Error("the supervisor's lock is held while the context's Value blocks")
		} else if h := sup.Health(); h.Reason != supervisor.ReasonNotRunning {
			t.Errorf("Health = %+v while Run waits for its context, want not running", h)
		}
		close(release)
		synctest.Wait()
		if h := sup.Health(); !h.Ready {
			t.Errorf("Health = %+v once the context answered, want ready", h)
		}
		cancel()
		synctest.Wait()
		if err := ctx.u.result(t); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		ctx.check(t)
	})
}

// TestRunContextThatPanicsEndsRunWithAnError gives Run a context whose
// Value, Done or Err panics or calls runtime.Goexit: Run returns an error
// wrapping a *PanicError (or ErrGoexit), having started nothing, and leaves
// the supervisor's lock free; it never panics and its goroutine never ends
// by Goexit.
func TestRunContextThatPanicsEndsRunWithAnError(t *testing.T) {
	for _, method := range []string{"Value", "Done", "Err"} {
		for _, goexit := range []bool{false, true} {
			name := method + "Panics"
			if goexit {
				name = method + "CallsGoexit"
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					stop := make(chan struct{})
					defer close(stop)
					var started atomic.Int64
					w := actor.Func(func(c context.Context) error { started.Add(1); return ucWorker(stop)(c) })
					sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: w}))
					ctx := &ucCtx{Context: t.Context(), bad: method, goexit: goexit, sup: sup, u: ucNew()}
					ctx.u.start(ctx, sup)
					synctest.Wait()
					err := ctx.u.result(t)
					if supervisor.LockHeld(sup) {
						t.Fatal("the supervisor's lock is left held")
					}
					ctx.check(t)
					if goexit {
						if !errors.Is(err, supervisor.ErrGoexit) {
							t.Errorf("Run = %v, want an error wrapping ErrGoexit", err)
						}
					} else {
						var pe *supervisor.PanicError
						if !errors.As(err, &pe) || pe.Value != "context's "+method+" panicked" {
							t.Errorf("Run = %v, want an error wrapping the *PanicError", err)
						}
					}
					var ce *supervisor.ConfigError
					if !errors.As(err, &ce) || ce.Field != "Run.ctx" {
						t.Errorf("Run = %v, want a *ConfigError for Run.ctx", err)
					}
					if n := started.Load(); n != 0 {
						t.Errorf("%d children started, want none", n)
					}
					if h := sup.Health(); h.Reason != supervisor.ReasonNotRunning {
						t.Errorf("Health = %+v after Run returned", h)
					}
				})
			})
		}
	}
}

// ucHasPath reports whether path is a node of snap.
func ucHasPath(snap supervisor.Snapshot, path string) bool {
	if snap.Path == path {
		return true
	}
	for _, c := range snap.Children {
		if ucHasPath(c, path) {
			return true
		}
	}
	return false
}
