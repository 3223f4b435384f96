package supervisor

// Stopping children: one at a time or all at once, within their timeouts.

import (
	"context"
	"runtime"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// stopChild asks c to stop with cause and waits for its goroutine to
// return: up to what is left of c's shutdown timeout since it was asked to
// stop (now, or earlier by an operation that the shutdown took over), and
// no later than deadline (none if zero). Then tells what c becomes once it
// has returned. It returns the stuck report if c did not stop in time, else
// nil. Called with the operations token held.
//
// For an operation (op: Remove, Restart, a group restart, a start that
// timed out), the wait ends as soon as the shutdown begins (or Run's
// context is done): stopChild then returns errAborted, and the shutdown
// takes the stop over, within its budget; c stays stopping. The shutdown
// itself waits on (op false).
func (r *run) stopChild(c *child, cause error, then afterStop, deadline time.Time, op bool) (*StuckChild, error) {
	s := r.s
	s.mu.Lock()
	if c.st == lsStuck {
		st := c.stuckLocked()
		s.mu.Unlock()
		return st, nil
	}
	now := r.clock()
	asked := r.askedForLocked(c, now)
	if !r.askStopLocked(c, then, now) {
		// No goroutine: move it by then right away.
		r.settleLocked(c, then, now)
		s.mu.Unlock()
		return nil, nil
	}
	wait := r.stopWaitLocked(c, asked, deadline)
	cancel := c.cancel
	s.mu.Unlock()
	cancel(cause)
	return r.awaitStop(c, wait, asked+wait, op)
}

// askedForLocked returns how long ago c was asked to stop, if it is being
// stopped already (an operation in flight that the shutdown takes over),
// else zero. Called with s.mu held.
func (r *run) askedForLocked(c *child, now instant) time.Duration {
	if (c.st != lsStopping && c.st != lsHung) || c.since == 0 {
		return 0 // a hung child was cancelled when it was found hung: its stop counts from then
	}
	return time.Duration(now - (c.since - 1))
}

// stopWaitLocked returns how long to wait for c, asked to stop asked ago:
// what is left of its shutdown timeout, and no later than deadline (none
// if zero). Called with s.mu held.
func (r *run) stopWaitLocked(c *child, asked time.Duration, deadline time.Time) time.Duration {
	d := c.shutdownTimeout()
	if d != policy.Infinity {
		d = max(d-asked, 0)
	}
	if !deadline.IsZero() {
		d = max(min(d, time.Until(deadline)), 0)
	}
	return d
}

// askStopLocked records that the supervisor asks c to stop, and what
// follows; the caller then cancels c's incarnation, preferably
// after releasing s.mu. The request is recorded before the cancellation:
// that is what makes the exit a shutdown, whatever the child returns. It
// reports false if c has no goroutine to stop. Called with s.mu held.
func (r *run) askStopLocked(c *child, then afterStop, now instant) bool {
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
// filled in later, once per shutdown (see fillStacks). For an operation
// (op), a shutdown that begins meanwhile ends the wait: awaitStop then
// returns errAborted, and c stays stopping.
func (r *run) awaitStop(c *child, timeout, waited time.Duration, op bool) (*StuckChild, error) {
	gone, aborted := r.waitGone(c, timeout, op)
	if gone {
		return nil, nil
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if aborted {
		if c.st == lsStopping {
			return nil, errAborted
		}
		return c.stuckLocked(), nil // returned meanwhile (nil), or stuck
	}
	return r.markStuckLocked(c, waited), nil
}

// markStuckLocked records that c, stopping, did not stop in time. Called
// with s.mu held.
func (r *run) markStuckLocked(c *child, waited time.Duration) *StuckChild {
	if c.st != lsStopping && c.st != lsHung {
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
// moves where its pending stop said (a manual Restart starts it again now,
// and so does a slot of a new run that waited for it; see inherit.go).
// Called with s.mu held.
func (r *run) unstuckLocked(c *child, err error, now instant) {
	then := c.then
	restart := then == thenRestart
	c.moveLocked(evUnstuck, then.target(), now)
	x := c.extra()
	x.stuckAt = nil
	inherited := x.old != nil
	x.old = nil
	r.goneLocked(c)
	switch {
	case r.phase == phaseDone:
		r.s.forgetStuckLocked(c)
		if r.s.handOverLocked(c, err) {
			return // the run in progress reports it, and starts its slot
		}
	case !inherited:
		r.stuckLive--
	}
	r.emitLocked(EventStuckExited, c, nil, now, 0, 0)
	switch {
	case then == thenRemoved:
		r.unlinkLocked(c)
	case restart && r.phase < phaseStopping:
		c.consecutive = 0
		r.launchLocked(c, 0, now)
	}
}

// stopAllAtOnce cancels every child in order at once, then waits for each
// under what is left of its own timeout, counted from when it was asked to
// stop, and no later than deadline (none if zero). It waits for all
// together: one wake-up when the last one returns, not one per child.
// Called by the shutdown, with the operations token held.
func (r *run) stopAllAtOnce(order []*child, cause error, deadline time.Time) {
	s := r.s
	waits := make([]time.Duration, len(order))
	// The children an operation had asked to stop before (rare), with how
	// long ago, in the order of order: what a stuck report adds to their
	// wait. Kept apart, rather than in a slice as long as order, so that a
	// shutdown of children that were running (the common case) pays
	// nothing for them (BenchmarkCancelTree).
	var earlier []askedAt
	cancels := make([]context.CancelCauseFunc, 0, len(order))
	start := r.clock()
	s.mu.Lock()
	for i, c := range order {
		waits[i] = -1
		if c.st.alive() && c.st != lsStuck {
			asked := r.askedForLocked(c, start)
			waits[i] = r.stopWaitLocked(c, asked, deadline)
			if asked != 0 {
				earlier = append(earlier, askedAt{i, asked})
			}
			r.askStopLocked(c, thenStopped, start)
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
	var until time.Time
	if first != policy.Infinity {
		until = r.timeAt(start).Add(first)
	}
	if gone, _ := r.waitWatched(until, false); gone {
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
		waited := waits[i]
		if len(earlier) > 0 && earlier[0].i == i {
			waited += earlier[0].asked
			earlier = earlier[1:]
		}
		_, _ = r.awaitStop(c, left, waited, false)
	}
}

// askedAt says that order[i], in stopAllAtOnce, had been asked to stop
// asked before the shutdown took its stop over.
type askedAt struct {
	i     int
	asked time.Duration
}

// waitGone waits up to d (policy.Infinity: as long as it takes; zero: not
// at all) for c's goroutine to return, and reports whether it did. For an
// operation (op), it also reports aborted when the wait ended because the
// shutdown began.
func (r *run) waitGone(c *child, d time.Duration, op bool) (gone, aborted bool) {
	s := r.s
	// The cancellation just made c's goroutine runnable, most often next on
	// this processor: yield once, so that a worker that stops at once is
	// seen gone without a timer or a wake-up. Not for a child supervisor:
	// it never stops at once (it stops its own children first), and in a
	// deep tree every level's yield would queue its goroutine on the
	// scheduler's global queue while the levels below stop, a queue as long
	// as the tree is deep (a 10,000-deep chain stopped 5 to 20 times slower
	// a level than a 10-deep one).
	if !c.isSup {
		runtime.Gosched()
	}
	s.mu.Lock()
	if !c.st.alive() || c.st == lsStuck {
		s.mu.Unlock()
		return c.st != lsStuck, false
	}
	r.watchLocked(c)
	s.mu.Unlock()
	var deadline time.Time
	if d != policy.Infinity {
		deadline = time.Now().Add(d)
	}
	return r.waitWatched(deadline, op)
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
// deadline (none if zero), and reports whether they all returned. For an
// operation (op), the wait also ends when the shutdown begins or Run's
// context is done: aborted is then true (unless they all returned), so
// that the shutdown can take the stop over within its budget instead of
// waiting for the operation to wait out a child's own timeout. Whatever it
// reports, nothing is watched afterwards. Exits are signalled on one
// channel per run, once the last watched goroutine returns, rather than
// once per child, and the timer is reused (armed anew for each wait, never
// selected on once fired): every stop is made with the operations token
// held, so no two waits overlap.
func (r *run) waitWatched(deadline time.Time, op bool) (gone, aborted bool) {
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
	var quit, done <-chan struct{}
	if op {
		quit, done = r.quit, r.done
	}
	for {
		s.mu.Lock()
		left := r.goneLeft
		s.mu.Unlock()
		if left == 0 {
			return true, false
		}
		select {
		case <-r.goneSig:
			continue
		case <-expired:
		case <-quit:
			aborted = true
		case <-done:
			aborted = true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		all := r.goneLeft == 0
		r.unwatchAllLocked()
		return all, aborted && !all
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
