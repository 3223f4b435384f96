package supervisor

// Starting children: launching incarnations and waiting for readiness.

import (
	"context"
	"errors"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
)

// starter is a start that waits for a child's readiness: the initial start,
// a group restart, Add or Restart. The child's goroutine and the readiness
// hook report to it; it is bound to the child, not to one incarnation, so
// that a nil return before readiness (a start followed by a normal exit)
// keeps it waiting for the next incarnation.
type starter struct {
	ch      chan struct{} // one-slot signal: something changed
	ready   bool          // guarded by s.mu: an incarnation became ready
	done    bool          // guarded by s.mu: the child ended for good (not restarted): start complete
	failed  bool          // guarded by s.mu: the incarnation failed before readiness
	err     error         // guarded by s.mu: its error
	info    errInfo       // guarded by s.mu: what its goroutine learnt about err
	timeout bool          // guarded by s.mu: the start timeout passed
}

func (w *starter) signalLocked() { signal(w.ch) }

// exited reports a failure before readiness. Called with s.mu held.
func (w *starter) exited(err error, info errInfo) {
	w.failed, w.err, w.info = true, err, info
	w.signalLocked()
}

// ended reports that the child ended normally and is not restarted.
// Called with s.mu held.
func (w *starter) ended() { w.done = true; w.signalLocked() }

// errStopped is what a start learns when its child was stopped meanwhile.
var errStopped = errors.New("stopped while starting")

// startChild launches c, which must have no goroutine, and, if it must
// become ready, waits for that, within its start timeout. It returns a
// *StartError if c failed to start, or errAborted if shutdown began
// meanwhile. Called with the operations token held.
func (r *run) startChild(c *child) error {
	_, err := r.startChildInfo(c)
	return err
}

// startChildInfo is startChild, also returning what the child's goroutine
// learnt about its error, for a start failure.
func (r *run) startChildInfo(c *child) (errInfo, error) {
	s := r.s
	s.mu.Lock()
	if r.phase >= phaseStopping {
		s.mu.Unlock()
		return errInfo{}, errAborted
	}
	if c.st.alive() || c.st == lsRemoved {
		s.mu.Unlock()
		return errInfo{}, nil // started meanwhile, or removed: nothing to do
	}
	if !c.waitReady {
		r.launchLocked(c, 0, r.clock())
		s.mu.Unlock()
		return errInfo{}, nil
	}
	w := &starter{ch: make(chan struct{}, 1)}
	c.setWaiterLocked(w)
	r.launchLocked(c, 0, r.clock())
	s.mu.Unlock()

	for {
		select {
		case <-w.ch:
		case <-r.quit:
		case <-r.done:
		}
		if r.stopping() {
			s.mu.Lock()
			if c.waiterLocked() == w {
				c.setWaiterLocked(nil)
			}
			s.mu.Unlock()
			return errInfo{}, errAborted
		}
		s.mu.Lock()
		switch {
		case w.ready || w.done:
			s.mu.Unlock()
			return errInfo{}, nil
		case w.timeout:
			w.timeout = false
			s.mu.Unlock()
			_, aborted := r.stopChild(c, ErrStartTimeout, thenStopped, time.Time{}, true)
			s.mu.Lock()
			if c.waiterLocked() == w {
				c.setWaiterLocked(nil)
			}
			if aborted != nil {
				// Shutting down: the shutdown takes the stop over.
				s.mu.Unlock()
				return errInfo{}, errAborted
			}
			e := w.err
			if e == errStopped {
				e = nil
			}
			err := &startTimeoutError{err: e}
			info := w.info
			info.text = timeoutText(info.text)
			r.emitErrLocked(EventStartFailed, c, err, info.text, r.clock(), 0, 0)
			s.mu.Unlock()
			return info, newStartError(r.path, c.path, err, info.text)
		case w.failed:
			err, info := w.err, w.info
			r.emitErrLocked(EventStartFailed, c, err, info.text, r.clock(), 0, 0)
			s.mu.Unlock()
			return info, newStartError(r.path, c.path, err, info.text)
		}
		s.mu.Unlock()
	}
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
	return policy.ShutdownTimeout(c.spec.ShutdownTimeout, c.isSup)
}

// launchLocked starts a goroutine for a new incarnation of c, after delay.
// Called with s.mu held.
func (r *run) launchLocked(c *child, delay time.Duration, now instant) {
	ev := evLaunch
	if delay > 0 {
		ev = evDelay
	}
	ctx, _ := r.nextIncarnationLocked(c, ev, delay, now)
	if ctx == nil {
		return
	}
	r.wg.Add(1)
	if delay > 0 {
		go c.mainAfter(ctx, delay)
		return
	}
	go c.main(ctx) // a closure of c and ctx only: 32 bytes per idle child
}

// main runs c's goroutine for the incarnation launchLocked just made. The
// incarnation's number is read from the record without the lock: only a
// launch writes it while no goroutine of c lives (and the go statement
// orders that write before this read), or this goroutine itself.
func (c *child) main(ctx context.Context) { c.r.childMain(c, ctx, c.gen, 0) }

// mainAfter is main for an incarnation that starts after a backoff delay.
func (c *child) mainAfter(ctx context.Context, delay time.Duration) {
	c.r.childMain(c, ctx, c.gen, delay)
}

// nextIncarnationLocked moves c by ev into its next incarnation, creates the
// incarnation's context and records its start (or its backoff). It returns
// nil if the table refuses the move. Called with s.mu held.
func (r *run) nextIncarnationLocked(c *child, ev event, delay time.Duration, now instant) (context.Context, uint64) {
	next := lsRunning
	switch {
	case delay > 0:
		next = lsBackoff
	case c.waitReady:
		next = lsStarting
	}
	if !c.moveLocked(ev, next, now) {
		return nil, 0
	}
	c.gen++
	gen := c.gen
	c.timedOut = false
	var ctx context.Context = c
	if c.waitReady {
		// Readiness binds to this incarnation: a Ready from an earlier
		// one's leftover goroutine changes nothing.
		ctx = actor.WithReady(ctx, func() { r.childReady(c, gen) })
	}
	if c.spec.Liveness != nil {
		ctx = r.livenessCtxLocked(c, ctx) // its beat, nearest to the incarnation's context
	}
	ctx, c.cancel = context.WithCancelCause(ctx)
	if c.spec.Liveness != nil {
		c.x.live.ictx = ctx
	}
	if delay == 0 {
		r.startedLocked(c, now)
	}
	return ctx, gen
}

// startedLocked records that c's incarnation now runs. Called with s.mu
// held.
func (r *run) startedLocked(c *child, now instant) {
	if !c.waitReady {
		c.markReadyLocked(now)
	}
	r.emitLocked(EventStarted, c, nil, now, 0, 0)
	if c.waitReady {
		r.armStartTimeoutLocked(c)
	}
}

// waitBackoff waits out delay before incarnation gen of c starts. It
// reports false if the child was stopped meanwhile (no incarnation ran).
func (r *run) waitBackoff(c *child, ctx context.Context, gen uint64, delay time.Duration) bool {
	t := time.NewTimer(delay)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gen == gen && c.st == lsBackoff && ctx.Err() == nil {
		now := r.clock()
		c.moveLocked(evWake, r.runState(c), now)
		r.startedLocked(c, now)
		return true
	}
	r.returnedLocked(c, nil, errInfo{})
	return false
}

func (r *run) runState(c *child) lstate {
	if c.waitReady {
		return lsStarting
	}
	return lsRunning
}

// armStartTimeoutLocked bounds the wait for readiness of c's current
// incarnation. Past the start timeout, a start that waits for it stops the
// child and fails; with nobody waiting (a restart in the child's own
// goroutine), the incarnation is cancelled with cause ErrStartTimeout and
// its exit is a failure that keeps what the child returned. One timer, one
// rule, whoever waits. Called with s.mu held.
func (r *run) armStartTimeoutLocked(c *child) {
	d := c.startTimeout()
	if d == policy.Infinity {
		return
	}
	gen := c.gen
	c.stopTimerLocked()
	c.extra().startTimer = time.AfterFunc(d, func() { r.startTimedOut(c, gen) })
}

// startTimedOut is the start timeout of incarnation gen of c.
func (r *run) startTimedOut(c *child, gen uint64) {
	s := r.s
	s.mu.Lock()
	if c.gen != gen || c.st != lsStarting {
		s.mu.Unlock()
		return
	}
	if w := c.waiterLocked(); w != nil {
		w.timeout = true
		w.signalLocked()
		s.mu.Unlock()
		return
	}
	c.timedOut = true
	cancel := c.cancel
	s.mu.Unlock()
	cancel(ErrStartTimeout)
}

// childReady is the readiness hook of incarnation gen of a WaitReady child.
func (r *run) childReady(c *child, gen uint64) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gen != gen || c.timedOut {
		return
	}
	now := r.clock()
	if !c.moveLocked(evReady, lsRunning, now) {
		return
	}
	c.markReadyLocked(now)
	c.stopTimerLocked()
	r.emitLocked(EventReady, c, nil, now, 0, 0)
	if w := c.waiterLocked(); w != nil {
		c.setWaiterLocked(nil)
		w.ready = true
		w.signalLocked()
	}
}

// wakeWaiterLocked fails the start waiting on c, if any, because the
// supervisor gives up. Called with s.mu held.
func (r *run) wakeWaiterLocked(c *child) {
	if w := c.waiterLocked(); w != nil {
		c.setWaiterLocked(nil)
		w.exited(ErrUnexpectedExit, errInfo{text: ErrUnexpectedExit.Error()})
	}
}
