package supervisor

// The end of an incarnation: its goroutine examines what it returned, asks
// the decider, and applies the exit transition of the state table.

import (
	"context"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
)

// maxStack caps the stack kept in a *PanicError.
const maxStack = 16 << 10

// newPanicError turns a recovered value into a *PanicError with the stack
// of the goroutine that panicked. An *actor.PanicError is a panic that
// began in a goroutine of an actor.Group and was raised again on the
// incarnation's goroutine: its own value and stack (the origin's) are kept,
// not the stack of the goroutine that raised it again.
func newPanicError(v any) *PanicError {
	if p, ok := v.(*actor.PanicError); ok && p != nil {
		return &PanicError{Value: p.Value, Stack: p.Stack}
	}
	buf := make([]byte, maxStack)
	return &PanicError{Value: v, Stack: buf[:runtime.Stack(buf, false)]}
}

// stage says where a child goroutine is, so that a runtime.Goexit in user
// code, which cannot be stopped, still ends the incarnation by a stated
// rule (see goexitEnd).
type stage uint8

const (
	stageDone    stage = iota // between incarnations, or returned normally
	stageRun                  // in the actor's Run
	stageExamine              // in the methods of the returned error
	stageDecide               // in the decider or the jitter source
)

// childMain is the body of a child's goroutine. It runs incarnations one
// after another for as long as restarts need no coordination with siblings
// (OneForOne, within the intensity window): a restart in place is the same
// exit transition as any other, run in this goroutine.
func (r *run) childMain(c *child, ctx context.Context, gen uint64, delay time.Duration) {
	defer r.wg.Done()
	pprof.SetGoroutineLabels(pprof.WithLabels(r.labels, pprof.Labels(pathLabel, c.path)))
	var err error
	st := stageDone
	defer func() {
		if st != stageDone {
			r.goexitEnd(c, gen, err, st)
		}
	}()
	for {
		if delay > 0 && !r.waitBackoff(c, ctx, gen, delay) {
			return
		}
		st = stageRun
		r.invoke(c, ctx, &err)
		var ok bool
		ctx, gen, delay, ok = r.exit(c, gen, err, &st)
		st = stageDone
		if !ok {
			return
		}
	}
}

// invoke runs one incarnation and stores its result in *out, turning a panic
// into a *PanicError. A panic(nil) under GODEBUG=panicnil=1 arrives here as
// a nil recovered value and returns normally with a *PanicError of a nil
// Value; a runtime.Goexit also recovers nil but keeps unwinding the
// goroutine, and childMain's deferred goexitEnd takes over.
func (r *run) invoke(c *child, ctx context.Context, out *error) {
	done := false
	defer func() {
		if done {
			return
		}
		v := recover()
		if v != nil && c.crashOnPanic() {
			panic(v)
		}
		*out = newPanicError(v)
	}()
	if sub := c.directSupervisor(); sub != nil {
		*out = sub.runIn(ctx, c) // ctx is this incarnation's: see runIn
	} else {
		*out = c.spec.Actor.Run(ctx)
	}
	done = true
}

// directSupervisor returns the *Supervisor given directly as c's Actor, if
// c is a declared supervisor child; nil otherwise.
func (c *child) directSupervisor() *Supervisor {
	if !c.isSup {
		return nil
	}
	sub, _ := c.spec.Actor.(*Supervisor)
	return sub
}

func (c *child) crashOnPanic() bool {
	switch c.spec.Panics {
	case PanicRecover:
		return false
	case PanicCrash:
		return true
	}
	return c.r.s.cfg.crashOnPanic
}

// verdict is what an exiting goroutine learns about its incarnation's end
// before it takes the lock: everything that needs user code (the error's
// methods, the decider, the jitter source).
type verdict struct {
	info    errInfo
	dir     policy.Directive // what the decider says about an abnormal exit
	decided bool             // dir is known
	problem error            // the decider failed: why (escalate then)
	why     string           // problem's text, taken in the child's goroutine
	jitter  float64          // a fresh random fraction, when backoff is on
}

// exit handles the end of c's incarnation gen, which returned err. If the
// child runs again in this goroutine, it returns the next incarnation's
// context, number and delay, and true.
func (r *run) exit(c *child, gen uint64, err error, st *stage) (context.Context, uint64, time.Duration, bool) {
	if c.spec.Liveness != nil {
		// Found hung: the hang is the incarnation's error, whatever it
		// returned after the cancellation.
		err = r.hungErr(c, gen, err)
	}
	var v verdict
	*st = stageExamine
	if err != nil {
		v.info = examine(err)
	}
	*st = stageDecide
	b := c.backoffSpec()
	if b.Enabled() {
		v.jitter = r.randomFraction()
	}
	if c.spec.Decider == nil || err == nil {
		r.defaultDirective(c, err, &v)
	}
	s := r.s
	s.mu.Lock()
	if c.gen != gen || c.st == lsStopping || c.st == lsStuck {
		r.returnedLocked(c, err, v.info)
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	if c.st == lsHung {
		if h := c.hungLocked(); err != error(h) {
			// Found hung after it returned, before it took the lock: the
			// hang came first; examine and decide on it instead.
			s.mu.Unlock()
			return r.exit(c, gen, h, st)
		}
	}
	now := r.clock()
	c.cancel(ErrExited) // an incarnation's context never outlives it
	if !c.moveLocked(evExit, lsExiting, now) {
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	if v.decided {
		return r.finishExitLocked(c, err, &v, now, true)
	}
	s.mu.Unlock()

	// A decider of the child's own: consulted without the lock, for an
	// exit that is abnormal when it happened. A stop that arrives
	// meanwhile turns the exit into a shutdown (the decision is dropped).
	v.dir, v.problem = decide(c.spec.Decider, err)
	if v.problem != nil {
		v.why = errText(v.problem) // user code (the panic value's text): guarded
	}
	v.decided = true
	s.mu.Lock()
	if c.st != lsExiting {
		r.returnedLocked(c, err, v.info)
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	return r.finishExitLocked(c, err, &v, r.clock(), true)
}

// defaultDirective decides, without user code, what follows an exit of a
// child without a decider of its own (or a normal exit): policy's default
// decider, read from the examined chain, except that a child supervisor's
// escalation is judged by this supervisor's own policy.
func (r *run) defaultDirective(c *child, err error, v *verdict) {
	v.decided = true
	switch {
	case err == nil || v.info.nested != nil:
		v.dir = policy.Restart
	case v.info.escalate:
		v.dir = policy.Escalate
	case v.info.doNotRestart:
		v.dir = policy.Stop
	default:
		v.dir = policy.Restart
	}
}

// finishExitLocked applies what follows an exit c made by itself, now in
// state exiting, and unlocks s.mu. It returns the next incarnation when it
// runs in the calling goroutine (canContinue).
func (r *run) finishExitLocked(c *child, err error, v *verdict, now instant, canContinue bool) (context.Context, uint64, time.Duration, bool) {
	s := r.s
	class := policy.Normal
	if c.timedOut {
		// Its start timeout cancelled it: a failure to become ready, that
		// keeps what the child returned.
		err = &startTimeoutError{err: err}
		v.info.text = timeoutText(v.info.text)
	}
	hung := c.hungLocked()
	if hung != nil {
		c.stopTimerLocked() // its shutdown timeout: it returned
	}
	if c.spec.EndsSupervisor && !c.timedOut && hung == nil && (err == nil || v.info.signal) {
		r.endSupervisorLocked(c, err, v.info.text, now)
		return nil, 0, 0, false
	}
	if err != nil {
		class = policy.Abnormal
		x := c.extra()
		x.lastErr, x.lastText = err, v.info.text
	}
	if hung == nil {
		r.emitExitLocked(c, err, v.info, now, false) // a hang's exit was its hung event
	}
	if w := c.waiterLocked(); w != nil {
		// A start waits on this incarnation: it learns of the exit. A nil
		// return before readiness is a start followed by a normal exit: the
		// restart type decides, and the start waits for the next
		// incarnation.
		if err != nil {
			c.setWaiterLocked(nil)
			w.exited(err, v.info)
			c.moveLocked(evEnd, lsStopped, now)
			s.mu.Unlock()
			return nil, 0, 0, false
		}
	}
	if r.phase >= phaseStopping {
		c.moveLocked(evEnd, lsStopped, now)
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	act := actRestart
	switch {
	case class == policy.Abnormal && (v.problem != nil || v.dir == policy.Escalate):
		act = actEscalate
	case class == policy.Abnormal && v.dir == policy.Stop:
		act = actStop
	case !policy.ShouldRestart(c.spec.Restart, class):
		act = actStop
	}
	switch act {
	case actStop:
		c.moveLocked(evEnd, lsStopped, now)
		r.leaveStoppedLocked(c, class, err, v.info.text)
		if w := c.waiterLocked(); w != nil {
			c.setWaiterLocked(nil)
			w.ended()
		}
		s.mu.Unlock()
		return nil, 0, 0, false
	case actEscalate:
		c.moveLocked(evEnd, lsStopped, now)
		reason := "decider"
		if v.problem != nil {
			reason = "decider-failed"
			err = &deciderError{err: err, problem: v.problem, text: v.why}
		}
		r.queueLocked(request{kind: reqEscalate, c: c, err: err, info: v.info, at: now, reason: reason})
		r.wakeWaiterLocked(c)
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	// A restart during the child's own start (a nil return before
	// readiness) is that child's alone, in place: the start waits for it.
	if !canContinue || (s.cfg.strategy != policy.OneForOne && c.waiterLocked() == nil) {
		c.moveLocked(evQueue, lsPending, now)
		r.queueLocked(request{kind: reqRestart, c: c, gen: c.gen, err: err, info: v.info, at: now, jitter: v.jitter})
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	delay, ok := r.admitLocked(c, err, v.info, now, now, v.jitter)
	if !ok {
		c.moveLocked(evEnd, lsStopped, now)
		s.mu.Unlock()
		return nil, 0, 0, false
	}
	ctx, gen := r.nextIncarnationLocked(c, evAgain, delay, now)
	s.mu.Unlock()
	return ctx, gen, delay, true
}

// endSupervisorLocked ends c, an EndsSupervisor child that returned nil or
// a signal error (reading text): a normal end, after which the supervisor
// shuts down cleanly. It unlocks s.mu.
func (r *run) endSupervisorLocked(c *child, err error, text string, now instant) {
	s := r.s
	r.emitErrLocked(EventExited, c, err, text, now, 0, 0)
	c.moveLocked(evEnd, lsStopped, now)
	if w := c.waiterLocked(); w != nil {
		c.setWaiterLocked(nil)
		w.ended()
	}
	if r.phase < phaseStopping {
		r.queueLocked(request{kind: reqAutoShutdown, c: c, at: now})
	}
	s.mu.Unlock()
}

type action uint8

const (
	actStop action = iota
	actRestart
	actEscalate
)

// returnedLocked records that c's goroutine returned after the supervisor
// asked it to stop (state stopping or stuck): a shutdown exit, whatever it
// returned. Called with s.mu held.
func (r *run) returnedLocked(c *child, err error, info errInfo) {
	c.cancel(ErrExited)
	now := r.clock()
	if c.st == lsStuck {
		r.unstuckLocked(c, err, now)
		return
	}
	if c.hungLocked() == nil {
		// A hung incarnation's end was its hung event: a stop that took it
		// over adds no second exit.
		r.emitExitLocked(c, err, info, now, true)
	}
	if w := c.waiterLocked(); w != nil {
		c.setWaiterLocked(nil)
		if err == nil {
			err, info = errStopped, errInfo{text: errStopped.Error()}
		}
		w.exited(err, info)
	}
	then := c.then
	c.moveLocked(evReturned, then.target(), now)
	r.goneLocked(c)
	if then == thenRemoved {
		r.unlinkLocked(c)
	}
}

// goexitEnd ends an incarnation whose goroutine is unwinding through
// runtime.Goexit called by user code, which nothing can stop. The rules:
// a Goexit in the actor (or in the methods of its error) is an abnormal exit
// with ErrGoexit (or the panic a deferred call raised meanwhile), decided by
// the restart type alone, and restarted through the loop, since this
// goroutine cannot run another incarnation; a Goexit in the decider or the
// jitter source is the decider's failure: the supervisor escalates.
func (r *run) goexitEnd(c *child, gen uint64, err error, st stage) {
	var v verdict
	switch st {
	case stageRun:
		if pe, ok := err.(*PanicError); !ok || pe.Value == nil {
			err = ErrGoexit
		} else {
			v.info.text = "panic during runtime.Goexit"
			v.info.panicked = true
		}
	case stageExamine:
		err = ErrGoexit
	case stageDecide:
		v.problem, v.why = ErrGoexit, ErrGoexit.Error()
	}
	if c.spec.Liveness != nil && st != stageDecide {
		if h := r.hungErr(c, gen, nil); h != nil {
			err, v.info = h, errInfo{} // found hung: the hang is its error
		}
	}
	if v.info.text == "" && err != nil {
		v.info.text = errText(err) // guarded: a panic here, during Goexit, would crash
	}
	v.decided = true
	s := r.s
	s.mu.Lock()
	if c.gen != gen || c.st == lsStopping || c.st == lsStuck {
		r.returnedLocked(c, err, v.info)
		s.mu.Unlock()
		return
	}
	now := r.clock()
	c.cancel(ErrExited)
	if c.st != lsExiting && !c.moveLocked(evExit, lsExiting, now) {
		s.mu.Unlock()
		return
	}
	r.finishExitLocked(c, err, &v, now, false)
}

// decide asks d, a child's own decider, about err. It is policy.Decide,
// except for what a failed decider leaves: a panic becomes a *PanicError
// (its value and stack, as a child's panic), whose text is taken later by
// the guarded walk, and an unknown directive an error naming it. A Goexit
// in d unwinds through here; childMain's goexitEnd takes over.
//
// policy.Decide is not used: it runs the decider on a goroutine of its own
// (a cost on every decision; here childMain's goroutine survives a Goexit
// already) and formats the panic's value into a text that carries the
// stack, from which the escalation's one-line text could not take the
// value alone.
func decide(d policy.Decider, err error) (dir policy.Directive, problem error) {
	done := false
	defer func() {
		if done {
			return
		}
		if v := recover(); v != nil {
			dir, problem = policy.Escalate, newPanicError(v)
		}
	}()
	dir = d(err)
	done = true
	if dir > policy.Escalate {
		return policy.Escalate, &unknownDirectiveError{dir: dir}
	}
	return dir, nil
}

// randomFraction calls the jitter source, surviving a panic in it. Calls
// are serialised (a user's source need not be safe for concurrent use), but
// never made with s.mu held.
func (r *run) randomFraction() (f float64) {
	r.jitterMu.Lock()
	defer r.jitterMu.Unlock()
	defer func() {
		if recover() != nil {
			f = 0
		}
	}()
	return r.jitter()
}

// emitExitLocked emits the event for an incarnation's end. Called with s.mu
// held.
func (r *run) emitExitLocked(c *child, err error, info errInfo, now instant, shutdown bool) {
	switch {
	case shutdown:
		how := textTaken
		if info.canceled {
			how |= errCanceled
		}
		r.emitTakenLocked(EventStopped, c, err, info.text, how, now, 0, 0)
	case err == nil:
		r.emitLocked(EventExited, c, nil, now, 0, 0)
	case info.panicked:
		r.emitErrLocked(EventPanicked, c, err, info.text, now, 0, 0)
	default:
		r.emitErrLocked(EventFailed, c, err, info.text, now, 0, 0)
	}
}
