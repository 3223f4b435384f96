package supervisor

// Starting children: launching incarnations and waiting for readiness.

import (
	"context"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// startChild launches c and, if it must become ready, waits for that. It
// returns a *StartError if c failed to start, or errAborted if shutdown
// began meanwhile. Called with opMu held.
func (r *run) startChild(c *child) error {
	s := r.s
	s.mu.Lock()
	if r.phase >= phaseStopping {
		s.mu.Unlock()
		return errAborted
	}
	if !c.waitReady {
		r.launch(c, 0)
		s.mu.Unlock()
		return nil
	}
	c.starting, c.startExited, c.timedOut = true, false, false
	x := c.extra()
	x.startErr = nil
	ready := make(chan struct{})
	x.readyCh = ready
	r.launch(c, 0)
	done := c.doneChan()
	s.mu.Unlock()

	var timeout <-chan time.Time
	if d := c.startTimeout(); d != policy.Infinity {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ready:
		s.mu.Lock()
		c.starting = false
		s.mu.Unlock()
		return nil
	case <-done:
	case <-timeout:
		s.mu.Lock()
		if c.ready { // ready at the last instant
			c.starting = false
			s.mu.Unlock()
			return nil
		}
		c.timedOut = true
		s.mu.Unlock()
		r.stopChild(c, ErrStartTimeout, c.shutdownTimeout())
	case <-r.quit:
		return r.abortStart(c)
	case <-r.runCtx.Done():
		return r.abortStart(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.starting = false
	if c.stuck {
		return &StartError{Supervisor: r.path, Child: c.path, Err: ErrStartTimeout}
	}
	switch {
	case c.timedOut:
		r.emit(EventStartFailed, c, ErrStartTimeout, 0, 0)
		return &StartError{Supervisor: r.path, Child: c.path, Err: ErrStartTimeout}
	case !c.startExited:
		return nil // it became ready, then ended through the usual path
	case x.startErr == nil:
		// Returned nil before ready: a start followed by a normal exit.
		r.afterExit(c, policy.Normal, nil, time.Now(), false)
		return nil
	}
	r.emit(EventStartFailed, c, x.startErr, 0, 0)
	return &StartError{Supervisor: r.path, Child: c.path, Err: x.startErr}
}

// abortStart stops waiting for c's readiness because shutdown began; the
// shutdown stops c with the others.
func (r *run) abortStart(c *child) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	c.starting = false
	return errAborted
}

func (c *child) startTimeout() time.Duration {
	d := c.spec.StartTimeout
	if d == 0 {
		d = c.r.s.cfg.startTimeout
	}
	if d == 0 {
		return policy.Infinity
	}
	return d
}

func (c *child) shutdownTimeout() time.Duration {
	return policy.ShutdownTimeout(c.spec.ShutdownTimeout, c.isSup || c.sub.Load() != nil)
}

// launch starts a goroutine for a new incarnation of c, after delay.
// Called with s.mu held.
func (r *run) launch(c *child, delay time.Duration) {
	ctx := r.newIncarnation(c, delay, time.Now())
	c.alive = true
	r.g.Go(func() error {
		r.childLoop(c, ctx, delay)
		return nil
	})
}

// newIncarnation creates the context of c's next incarnation and records
// its start (or its backoff). Called with s.mu held.
func (r *run) newIncarnation(c *child, delay time.Duration, now time.Time) context.Context {
	ctx, cancel := context.WithCancelCause(c.base)
	c.cancel = cancel
	c.inGroup = false
	c.timedOut = false
	c.gen++
	c.stopping = false
	c.ready = false
	if delay > 0 {
		c.setState(StateBackoff, now)
		return ctx
	}
	r.markStarted(c, now)
	return ctx
}

// markStarted records that c's incarnation is now running. Called with s.mu
// held.
func (r *run) markStarted(c *child, now time.Time) {
	if c.waitReady {
		c.setState(StateStarting, now)
	} else {
		c.setState(StateRunning, now)
		c.ready = true
		c.readyAt = r.mono(now)
	}
	r.emit(EventStarted, c, nil, 0, 0)
	if c.waitReady && !c.starting {
		r.armStartTimeout(c)
	}
}

// armStartTimeout bounds the wait for readiness of an incarnation that no
// starter waits for (a restart in the child's own goroutine): past the
// child's start timeout, the incarnation is cancelled with cause
// ErrStartTimeout and its exit is a failure with that error, counted
// against the intensity like any other. Called with s.mu held.
func (r *run) armStartTimeout(c *child) {
	d := c.startTimeout()
	if d == policy.Infinity {
		return
	}
	gen := c.gen
	x := c.extra()
	x.stopStartTimer()
	x.startTimer = time.AfterFunc(d, func() {
		r.s.mu.Lock()
		if c.gen != gen || c.ready || !c.alive || c.stopping || c.state != StateStarting {
			r.s.mu.Unlock()
			return
		}
		c.timedOut = true
		cancel := c.cancel
		r.s.mu.Unlock()
		cancel(ErrStartTimeout)
	})
}

// childReady is the readiness hook of a WaitReady child.
func (r *run) childReady(c *child) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ready || !c.alive || c.stopping || c.state != StateStarting {
		return
	}
	now := time.Now()
	c.ready = true
	c.readyAt = r.mono(now)
	c.setState(StateRunning, now)
	if c.x != nil {
		c.x.stopStartTimer()
	}
	r.emit(EventReady, c, nil, 0, 0)
	c.starting = false // the starter, if any, is done waiting
	if x := c.x; x != nil && x.readyCh != nil {
		close(x.readyCh)
		x.readyCh = nil
	}
}
