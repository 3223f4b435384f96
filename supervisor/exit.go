package supervisor

import (
	"context"
	"errors"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// maxStack caps the stack kept in a *PanicError.
const maxStack = 16 << 10

func newPanicError(v any) *PanicError {
	buf := make([]byte, maxStack)
	return &PanicError{Value: v, Stack: buf[:runtime.Stack(buf, false)]}
}

// childLoop is the body of a child's goroutine. It runs incarnations one
// after another for as long as restarts need no coordination with siblings
// (OneForOne, within the intensity window), with no hand-off to the
// supervisor's loop.
func (r *run) childLoop(c *child, ctx context.Context, delay time.Duration) {
	pprof.SetGoroutineLabels(c.base)
	for {
		if delay > 0 && !r.waitBackoff(c, ctx, delay) {
			return
		}
		err := r.invoke(c, ctx)
		ctx, delay = r.exited(c, err, true)
		if ctx == nil {
			return
		}
	}
}

// waitBackoff waits out delay before the incarnation of ctx starts. It
// reports false if the child was stopped meanwhile.
func (r *run) waitBackoff(c *child, ctx context.Context, delay time.Duration) bool {
	t := time.NewTimer(delay)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil || c.stopping {
		// Stopped, removed or restarted by request during the delay: no
		// incarnation ran.
		c.cancel(ErrExited)
		if c.stuck {
			r.stuckReturned(c)
		}
		c.gone()
		c.setState(StateStopped, time.Now())
		r.emit(EventStopped, c, nil, 0, 0)
		return false
	}
	r.markStarted(c, time.Now())
	return true
}

// invoke runs one incarnation, turning a panic into a *PanicError. If the
// actor calls runtime.Goexit, invoke handles the exit itself (the goroutine
// is unwinding and cannot run another incarnation) and never returns.
func (r *run) invoke(c *child, ctx context.Context) (err error) {
	finished := false
	defer func() {
		if finished {
			return
		}
		v := recover()
		if v == nil { // runtime.Goexit
			r.exited(c, ErrGoexit, false)
			return
		}
		if c.crashOnPanic() {
			panic(v)
		}
		err = newPanicError(v)
	}()
	err = c.spec.Actor.Run(ctx)
	finished = true
	return err
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

// exited handles the end of c's current incarnation, which returned err.
// If the child is to run again in this goroutine (canContinue), it returns
// the next incarnation's context and backoff delay; otherwise nil.
func (r *run) exited(c *child, err error, canContinue bool) (context.Context, time.Duration) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c.cancel(ErrExited) // an incarnation's context never outlives it
	now := time.Now()
	if err != nil && (c.isSup || c.sub.Load() != nil) {
		var stuckErr *StuckError
		if errors.As(err, &stuckErr) && stuckErr.Err == nil {
			r.stuckBelow = append(r.stuckBelow, stuckErr.Stuck...)
		}
	}
	if c.stuck {
		r.emitExit(c, err, true)
		r.stuckReturned(c)
		return nil, 0
	}
	class := policy.Classify(err, c.stopping)
	if c.starting && !c.ready {
		// A starter waits on this incarnation: it decides what follows.
		c.startExited, c.extra().startErr = true, err
		c.gone()
		c.setState(StateStopped, now)
		r.emitExit(c, err, class == policy.Shutdown)
		return nil, 0
	}
	if c.timedOut && class != policy.Shutdown {
		// Its start timeout cancelled it: a failure to become ready,
		// whatever it returned.
		err, class = ErrStartTimeout, policy.Abnormal
	}
	r.emitExit(c, err, class == policy.Shutdown)
	if class == policy.Shutdown || r.phase >= phaseStopping {
		c.gone()
		if c.inGroup && r.phase < phaseStopping {
			c.setState(StateRestarting, now)
		} else {
			c.setState(StateStopped, now)
		}
		return nil, 0
	}
	return r.afterExit(c, class, err, now, canContinue)
}

// emitExit emits the event for an incarnation's end. Called with s.mu held.
func (r *run) emitExit(c *child, err error, shutdown bool) {
	_, panicked := err.(*PanicError)
	switch {
	case shutdown:
		r.emit(EventStopped, c, err, 0, 0)
	case err == nil:
		r.emit(EventExited, c, nil, 0, 0)
	case panicked:
		c.lastErr = err
		r.emit(EventPanicked, c, err, 0, 0)
	default:
		c.lastErr = err
		r.emit(EventFailed, c, err, 0, 0)
	}
}

// stuckReturned records that a child reported stuck has finally returned.
// Called with s.mu held.
func (r *run) stuckReturned(c *child) {
	c.stuck = false
	c.gone()
	c.setState(StateStopped, time.Now())
	r.emit(EventStuckExited, c, nil, 0, 0)
	if r.phase == phaseDone {
		r.s.stuckAlive--
		for i, p := range r.s.stuckPaths {
			if p == c.path {
				r.s.stuckPaths = append(r.s.stuckPaths[:i], r.s.stuckPaths[i+1:]...)
				break
			}
		}
	} else {
		r.stuckLive--
	}
	if r.phase < phaseStopping {
		// It stopped before any shutdown: the shutdown does not report it.
		for i, st := range r.stuck {
			if st.Path == c.path {
				r.stuck = append(r.stuck[:i], r.stuck[i+1:]...)
				break
			}
		}
	}
	if c.removed {
		r.removeChild(c)
	}
}

func restartDecider(error) policy.Directive { return policy.Restart }

type action uint8

const (
	actStop action = iota
	actRestart
	actEscalate
)

// decide applies the child's decider and restart type to an exit.
func (r *run) decide(c *child, class policy.ExitClass, err error) action {
	if class == policy.Abnormal {
		decider := c.spec.Decider
		if _, nested := err.(*EscalationError); nested && decider == nil {
			// A child supervisor gave up: this supervisor applies its own
			// policy, whatever sentinel the leaf's error wraps.
			decider = restartDecider
		}
		dir, problem := policy.Decide(decider, err)
		if problem != nil {
			r.logProblem(c, "decider failed; escalating", problem)
		}
		switch dir {
		case policy.Escalate:
			return actEscalate
		case policy.Stop:
			return actStop
		}
	}
	if policy.ShouldRestart(c.spec.Restart, class) {
		return actRestart
	}
	return actStop
}

// afterExit decides what follows an exit of class Normal or Abnormal that c
// made by itself, and does it or hands it to the loop. Called with s.mu
// held. When canContinue, a OneForOne restart happens in the calling child
// goroutine: afterExit returns the next incarnation's context.
func (r *run) afterExit(c *child, class policy.ExitClass, err error, now time.Time, canContinue bool) (context.Context, time.Duration) {
	switch r.decide(c, class, err) {
	case actStop:
		c.gone()
		r.leaveStopped(c, class, err, now)
		return nil, 0
	case actEscalate:
		c.gone()
		c.setState(StateStopped, now)
		r.queue(request{kind: reqEscalate, c: c, err: err, at: now, reason: "decider"})
		return nil, 0
	}
	if !canContinue || r.s.cfg.strategy != policy.OneForOne {
		c.gone()
		c.setState(StateRestarting, now)
		r.queue(request{kind: reqRestart, c: c, gen: c.gen, err: err, at: now})
		return nil, 0
	}
	delay, ok := r.admit(c, err, now)
	if !ok {
		c.gone()
		return nil, 0
	}
	return r.newIncarnation(c, delay, now), delay
}

// leaveStopped records that c ended for good: a Temporary child is removed,
// and a significant one may shut the supervisor down. Called with s.mu held.
func (r *run) leaveStopped(c *child, class policy.ExitClass, err error, now time.Time) {
	c.setState(StateStopped, now)
	if class == policy.Abnormal {
		r.logProblem(c, "failed; not restarted", err)
	}
	if c.spec.Restart == policy.Temporary {
		r.removeChild(c)
		r.emit(EventRemoved, c, nil, 0, 0)
	}
	if !c.spec.Significant {
		return
	}
	switch r.s.cfg.auto {
	case policy.AnySignificant:
		r.queue(request{kind: reqAutoShutdown, c: c, at: now})
	case policy.AllSignificant:
		for _, x := range r.children {
			if x.spec.Significant && (x.alive || x.inGroup || x.state == StateRestarting || x.state == StateBackoff) {
				return
			}
		}
		r.queue(request{kind: reqAutoShutdown, c: c, at: now})
	}
}

// admit counts a restart of c against the intensity window and its backoff.
// It returns the delay before the restart, or false when the supervisor must
// escalate instead (the escalation is queued). Called with s.mu held.
func (r *run) admit(c *child, err error, now time.Time) (time.Duration, bool) {
	if !r.window.Allow(now) {
		c.setState(StateStopped, now)
		r.emit(EventIntensityExceeded, c, err, 0, 0)
		r.queue(request{kind: reqEscalate, c: c, err: err, at: now, reason: "intensity"})
		return 0, false
	}
	b := c.backoff()
	if c.ready && b.ResetsAfter(time.Duration(r.mono(now)-c.readyAt)) {
		c.consecutive = 0
	}
	if b.Exhausted(int(c.consecutive) + 1) {
		c.setState(StateStopped, now)
		r.queue(request{kind: reqEscalate, c: c, err: err, at: now, reason: "backoff"})
		return 0, false
	}
	var delay time.Duration
	if b.Enabled() {
		delay = b.Delay(int(c.consecutive), r.randomFraction())
	}
	c.consecutive++
	c.restarts++
	r.emit(EventRestarting, c, err, delay, int(c.consecutive))
	return delay, true
}

// randomFraction calls the jitter source, surviving a panic in it.
func (r *run) randomFraction() (f float64) {
	defer func() {
		if recover() != nil {
			f = 0
		}
	}()
	return r.jitter()
}
