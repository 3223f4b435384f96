package supervisor

import (
	"context"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// initCall is one call of the init hook, in a goroutine of its own: a
// Goexit there cannot take Run's goroutine, and a hook that ignores its
// context delays Run's return only up to the shutdown budget (without one,
// up to a worker's default shutdown timeout).
type initCall struct {
	done   chan error              // receives the hook's result, once
	cancel context.CancelCauseFunc // cancels the hook's context
	err    error                   // its result, once received
	text   string                  // err's text, taken by the hook's goroutine before it sends err
	over   bool                    // the result was received
	waited time.Duration           // how long the shutdown waited for it, once abandoned
	// returned is closed when the hook's goroutine ends (it may outlive the
	// run: see lingerer).
	returned chan struct{}
}

// left reports whether the hook's goroutine was abandoned (still running
// after Run gave up waiting for it).
func (ic *initCall) left() bool { return ic != nil && !ic.over }

// runInit calls the init hook, if any, and waits for it; it returns the
// run's start error, or nil. The hook's context is cancelled when shutdown
// begins. If the hook fails because the run is being stopped (an Add it
// made returned ErrShuttingDown), the stop is clean: nil.
func (r *run) runInit() error {
	hook := r.s.cfg.init
	if hook == nil {
		return nil
	}
	ctx, cancel := context.WithCancelCause(r.initContext())
	ic := &initCall{done: make(chan error, 1), cancel: cancel, returned: make(chan struct{})}
	r.takeOps()
	r.init = ic
	r.releaseOps()
	go func() {
		defer close(ic.returned) // last: after the result is sent
		finished := false
		defer func() {
			if finished {
				return
			}
			v := recover()
			if v == nil {
				ic.text = ErrGoexit.Error()
				ic.done <- ErrGoexit
				return
			}
			pe := newPanicError(v)
			ic.text = errText(pe)
			ic.done <- pe
		}()
		err := hook(ctx, r.s)
		ic.text = errText(err) // user code, taken here: a Goexit in it is the hook's
		finished = true
		ic.done <- err
	}()
	select {
	case err := <-ic.done:
		ic.over, ic.err = true, err
		cancel(ErrExited)
		if err == nil || r.stopping() {
			return nil
		}
		return newStartError(r.path, r.path+PathSeparator+"init", err, ic.text)
	case <-r.quit:
	case <-r.done:
	}
	return nil // the shutdown cancels the hook and waits for it (waitInit)
}

// initContext is the context the init hook gets: the scope's values, and
// the supervisor's own record in its parent when it runs as a child, so
// that Logger and Path work in the hook as they do in the child. A root has
// no record in a parent: it gets one of its own, with its name as path, so
// that they work the same way in a root's hook.
func (r *run) initContext() context.Context {
	rec := r.parent
	if rec == nil {
		rec = &child{r: r, spec: &Child{Name: r.s.name}, path: r.path, st: lsIdle}
	}
	return initCtx{Context: r.scope, rec: rec}
}

// initCtx answers childKey with the supervisor's own record.
type initCtx struct {
	context.Context
	rec *child
}

func (c initCtx) Value(key any) any {
	if key == (childKey{}) {
		return c.rec
	}
	return c.Context.Value(key)
}

// stopping reports whether shutdown began or Run's context is done.
func (r *run) stopping() bool {
	select {
	case <-r.quit:
		return true
	default:
	}
	return r.ctxDone()
}

// waitInit cancels an init hook still running and waits for it until
// deadline, the budget's end (zero: no budget, and the hook is given a
// worker's default shutdown timeout, as a child that never stops would
// be). It reports false if the hook did not return in time: its goroutine
// is then abandoned and reported. Called with the operations token held.
func (r *run) waitInit(deadline time.Time) bool {
	ic := r.init
	if ic == nil || ic.over {
		return true
	}
	ic.cancel(ErrShutdown)
	waited := r.s.cfg.shutdownBudget
	if deadline.IsZero() {
		waited = policy.DefaultShutdownTimeout
		deadline = time.Now().Add(waited)
	}
	t := time.NewTimer(max(time.Until(deadline), 0))
	defer t.Stop()
	select {
	case ic.err = <-ic.done:
		ic.over = true
		return true
	case <-t.C:
		ic.waited = waited
		return false
	}
}
