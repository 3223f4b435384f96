package supervisor

// Stopping children: one at a time or all at once, within their timeouts,
// and the shutdown of a whole run.

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// stopChild asks c to stop with cause and waits up to timeout for its
// goroutine to return. It reports true if c is stuck. Called with opMu held.
func (r *run) stopChild(c *child, cause error, timeout time.Duration) bool {
	s := r.s
	s.mu.Lock()
	if !c.alive {
		s.mu.Unlock()
		return c.stuck
	}
	r.markStopping(c, timeout, time.Now())
	cancel := c.cancel
	s.mu.Unlock()
	cancel(cause)
	return r.awaitStop(c, timeout, timeout)
}

// markStopping records that the supervisor asks c, alive, to stop within
// timeout; the caller then cancels c's incarnation, preferably after
// releasing s.mu (the goroutine it wakes takes s.mu to report its exit).
// The request is recorded before the cancellation: that is what makes the
// exit a shutdown, whatever the child returns. Called with s.mu held.
func (r *run) markStopping(c *child, timeout time.Duration, now time.Time) {
	c.stopping = true
	c.hasStopBy = timeout != policy.Infinity
	if c.hasStopBy {
		c.stopBy = r.mono(now.Add(timeout))
	}
	if c.state != StateBackoff {
		c.setState(StateStopping, now)
	}
}

// awaitStop waits up to timeout for c's goroutine to return; past it, c is
// reported stuck, having been given waited in all.
func (r *run) awaitStop(c *child, timeout, waited time.Duration) bool {
	if r.waitGone(c, timeout) {
		return false
	}
	stack := stackOf(c.path)
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.alive {
		return false
	}
	c.stuck = true
	c.setState(StateStuck, time.Now())
	r.stuckLive++
	r.stuck = append(r.stuck, StuckChild{Path: c.path, Waited: waited, Stack: stack})
	r.emit(EventStopTimeout, c, nil, waited, 0)
	return true
}

// stopAllAtOnce cancels every child in order at once, then waits for each
// under its own timeout, counted from that common instant. It waits for all
// together: one wake-up when the last one returns, not one per child.
func (r *run) stopAllAtOnce(order []*child, cause error, waitFor func(*child) time.Duration) {
	s := r.s
	waits := make([]time.Duration, len(order))
	cancels := make([]context.CancelCauseFunc, 0, len(order))
	start := time.Now()
	s.mu.Lock()
	for i, c := range order {
		waits[i] = -1
		if c.alive && !c.stuck {
			waits[i] = waitFor(c)
			r.markStopping(c, waits[i], start)
			r.watch(c)
			cancels = append(cancels, c.cancel)
		}
	}
	s.mu.Unlock()
	for _, cancel := range cancels {
		cancel(cause)
	}
	// Wait for all until the earliest deadline; past it, wait for each in
	// turn with what is left of its own timeout (reported stuck past it).
	first := policy.Infinity
	for _, w := range waits {
		if w >= 0 {
			first = min(first, w)
		}
	}
	var deadline time.Time
	if first != policy.Infinity {
		deadline = start.Add(first)
	}
	if r.waitWatched(deadline) {
		return
	}
	for i, c := range order {
		if waits[i] < 0 {
			continue
		}
		left := waits[i]
		if left != policy.Infinity {
			left -= time.Since(start)
		}
		r.awaitStop(c, left, waits[i])
	}
}

// waitGone waits up to d (policy.Infinity: as long as it takes; zero: not
// at all) for c's goroutine to return, and reports whether it did.
func (r *run) waitGone(c *child, d time.Duration) bool {
	s := r.s
	// The cancellation just made c's goroutine runnable, most often next on
	// this processor: yield once, so that a child that stops at once is seen
	// gone without a timer or a wake-up.
	runtime.Gosched()
	s.mu.Lock()
	if !c.alive {
		s.mu.Unlock()
		return true
	}
	r.watch(c)
	s.mu.Unlock()
	var deadline time.Time
	if d != policy.Infinity {
		deadline = time.Now().Add(d)
	}
	return r.waitWatched(deadline)
}

// watch makes the goroutine of c, alive, signal goneSig when it returns
// (together with the others watched). Called with s.mu held.
func (r *run) watch(c *child) {
	if !c.watched {
		c.watched = true
		r.goneLeft++
	}
}

// waitWatched waits until every watched goroutine has returned, or until
// deadline (none if zero), and reports whether they all returned. Whatever
// it reports, nothing is watched afterwards. Exits are signalled on one
// channel per run, once the last watched goroutine returns, rather than
// once per child, and the timer is reused: every stop is made with opMu
// held, so no two waits overlap.
func (r *run) waitWatched(deadline time.Time) bool {
	s := r.s
	var expired <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			d = 0
		}
		if r.timer == nil {
			r.timer = time.NewTimer(d)
		} else {
			r.timer.Reset(d)
		}
		expired = r.timer.C
		defer r.timer.Stop()
	}
	for {
		s.mu.Lock()
		left := r.goneLeft
		s.mu.Unlock()
		if left == 0 {
			return true
		}
		select {
		case <-r.goneSig:
		case <-expired:
			s.mu.Lock()
			defer s.mu.Unlock()
			all := r.goneLeft == 0
			r.unwatchAll()
			return all
		}
	}
}

// unwatchAll stops watching every child. Called with s.mu held.
func (r *run) unwatchAll() {
	for _, c := range r.children {
		c.watched = false
	}
	r.goneLeft = 0
	select { // forget a signal nobody waits for
	case <-r.goneSig:
	default:
	}
}

// shutdown stops every child newest-first (or all at once with concurrent
// shutdown), within the shutdown budget, and returns Run's error: result
// joined to a *StuckError if children did not stop.
func (r *run) shutdown(cause, result error) error {
	s := r.s
	s.mu.Lock()
	if r.phase < phaseStopping {
		r.phase = phaseStopping
		close(r.quit)
	}
	r.ready = false
	r.emit(EventShutdown, nil, result, 0, 0)
	s.mu.Unlock()

	r.opMu.Lock()
	defer r.opMu.Unlock()
	if d := s.cfg.drainDelay; d > 0 {
		t := time.NewTimer(d)
		<-t.C
	}
	var deadline time.Time
	budget := s.cfg.shutdownBudget
	if budget > 0 {
		deadline = time.Now().Add(budget)
	}
	order := r.startOrder()
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	waitFor := func(c *child) time.Duration {
		d := c.shutdownTimeout()
		if budget > 0 {
			d = min(d, time.Until(deadline))
			if d <= 0 {
				d = 0
			}
		}
		return d
	}
	if s.cfg.concurrentShutdown {
		r.stopAllAtOnce(order, cause, waitFor)
	} else {
		for i, c := range order {
			if budget > 0 && time.Until(deadline) <= 0 {
				// The budget is spent: the rest are cancelled together,
				// and those that do not stop at once are reported stuck.
				r.stopAllAtOnce(order[i:], cause, waitFor)
				break
			}
			if !c.stuck {
				r.stopChild(c, cause, waitFor(c))
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range r.children {
		if c.alive && !c.stopping { // a safety net: nothing is left running
			c.stopping = true
			c.cancel(cause)
		}
	}
	stuck := append(append([]StuckChild(nil), r.stuck...), r.stuckBelow...)
	if len(stuck) == 0 {
		return result
	}
	se := &StuckError{Supervisor: r.path, Stuck: stuck}
	if result == nil {
		return se
	}
	return errors.Join(result, se)
}
