package supervisor

// Stopping children: one at a time or all at once, within their timeouts.

import (
	"context"
	"runtime"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// stopChild asks c to stop with cause and waits up to timeout for its
// goroutine to return; then tells what c becomes once it has returned. It
// returns the stuck report if c did not stop in time, else nil. Called with
// the operations token held.
func (r *run) stopChild(c *child, cause error, timeout time.Duration, then afterStop) *StuckChild {
	s := r.s
	s.mu.Lock()
	if c.st == lsStuck {
		st := c.stuckLocked()
		s.mu.Unlock()
		return st
	}
	if !r.askStopLocked(c, timeout, then, r.clock()) {
		// No goroutine: move it by then right away.
		r.settleLocked(c, then, r.clock())
		s.mu.Unlock()
		return nil
	}
	cancel := c.cancel
	s.mu.Unlock()
	cancel(cause)
	return r.awaitStop(c, timeout, timeout)
}

// askStopLocked records that the supervisor asks c to stop within timeout,
// and what follows; the caller then cancels c's incarnation, preferably
// after releasing s.mu. The request is recorded before the cancellation:
// that is what makes the exit a shutdown, whatever the child returns. It
// reports false if c has no goroutine to stop. Called with s.mu held.
func (r *run) askStopLocked(c *child, timeout time.Duration, then afterStop, now instant) bool {
	if c.st == lsStopping {
		c.then = then
		return true
	}
	if !c.moveLocked(evStop, lsStopping, now) {
		return false
	}
	c.then = then
	c.stopTimerLocked()
	return true
}

// settleLocked moves c, which has no goroutine, where then says. Called
// with s.mu held.
func (r *run) settleLocked(c *child, then afterStop, now instant) {
	switch then {
	case thenRemoved:
		if c.moveLocked(evDrop, lsRemoved, now) {
			r.unlinkLocked(c)
		}
	case thenPending:
		// ended earlier: a group restart starts it again.
		c.moveLocked(evRejoin, lsPending, now)
	}
}

// awaitStop waits up to timeout for c's goroutine to return; past it, c is
// reported stuck, having been given waited in all. The report's stack is
// filled in later, once per shutdown (see fillStacks).
func (r *run) awaitStop(c *child, timeout, waited time.Duration) *StuckChild {
	if r.waitGone(c, timeout) {
		return nil
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.markStuckLocked(c, waited)
}

// markStuckLocked records that c, stopping, did not stop in time. Called
// with s.mu held.
func (r *run) markStuckLocked(c *child, waited time.Duration) *StuckChild {
	if c.st != lsStopping {
		return c.stuckLocked() // returned meanwhile (nil), or already stuck
	}
	now := r.clock()
	c.moveLocked(evTimeout, lsStuck, now)
	c.extra().stuckAt = &StuckChild{Path: c.path, Waited: waited, PID: c.x.pid}
	r.stuckLive++
	r.stuckList = append(r.stuckList, c)
	r.emitLocked(EventStopTimeout, c, nil, now, waited, 0)
	return c.x.stuckAt
}

// unstuckLocked records that c's abandoned goroutine finally returned: it
// moves where its pending stop said (a manual Restart starts it again now).
// Called with s.mu held.
func (r *run) unstuckLocked(c *child, err error, now instant) {
	then := c.then
	restart := then == thenRestart
	c.moveLocked(evUnstuck, then.target(), now)
	c.extra().stuckAt = nil
	r.goneLocked(c)
	r.emitLocked(EventStuckExited, c, nil, now, 0, 0)
	if r.phase == phaseDone {
		r.s.forgetStuckLocked(c.path)
	} else {
		r.stuckLive--
	}
	switch {
	case then == thenRemoved:
		r.unlinkLocked(c)
	case restart && r.phase < phaseStopping:
		c.consecutive = 0
		r.launchLocked(c, 0, now)
	}
}

// stopAllAtOnce cancels every child in order at once, then waits for each
// under its own timeout, counted from that common instant. It waits for all
// together: one wake-up when the last one returns, not one per child.
func (r *run) stopAllAtOnce(order []*child, cause error, waitFor func(*child) time.Duration) {
	s := r.s
	waits := make([]time.Duration, len(order))
	cancels := make([]context.CancelCauseFunc, 0, len(order))
	start := r.clock()
	s.mu.Lock()
	for i, c := range order {
		waits[i] = -1
		if c.st.alive() && c.st != lsStuck {
			waits[i] = waitFor(c)
			r.askStopLocked(c, waits[i], thenStopped, start)
			r.watchLocked(c)
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
		deadline = r.timeAt(start).Add(first)
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
			left -= time.Duration(r.clock() - start)
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
	if !c.st.alive() || c.st == lsStuck {
		s.mu.Unlock()
		return c.st != lsStuck
	}
	r.watchLocked(c)
	s.mu.Unlock()
	var deadline time.Time
	if d != policy.Infinity {
		deadline = time.Now().Add(d)
	}
	return r.waitWatched(deadline)
}

// watchLocked makes the goroutine of c, alive, signal goneSig when it
// returns (together with the others watched). Called with s.mu held.
func (r *run) watchLocked(c *child) {
	if !c.watched {
		c.watched = true
		r.goneLeft++
	}
}

// goneLocked records that c's goroutine returned: it wakes a stopper that
// waits. Called with s.mu held.
func (r *run) goneLocked(c *child) {
	c.stopTimerLocked()
	if c.watched {
		c.watched = false
		if r.goneLeft--; r.goneLeft == 0 {
			signal(r.goneSig)
		}
	}
}

// waitWatched waits until every watched goroutine has returned, or until
// deadline (none if zero), and reports whether they all returned. Whatever
// it reports, nothing is watched afterwards. Exits are signalled on one
// channel per run, once the last watched goroutine returns, rather than
// once per child, and the timer is reused: every stop is made with the
// operations token held, so no two waits overlap.
func (r *run) waitWatched(deadline time.Time) bool {
	s := r.s
	var expired <-chan time.Time
	if !deadline.IsZero() {
		d := max(time.Until(deadline), 0)
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
			r.unwatchAllLocked()
			return all
		}
	}
}

// unwatchAllLocked stops watching every child. Called with s.mu held.
func (r *run) unwatchAllLocked() {
	for c := r.first; c != nil; c = c.next {
		c.watched = false
	}
	r.goneLeft = 0
	select { // forget a signal nobody waits for
	case <-r.goneSig:
	default:
	}
}
