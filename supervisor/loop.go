package supervisor

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// handle processes one request in the loop. It reports done with Run's
// error when the run ends.
func (r *run) handle(q request) (bool, error) {
	switch q.kind {
	case reqEscalate:
		return true, r.escalate(q)
	case reqAutoShutdown:
		r.s.mu.Lock()
		r.emit(EventAutoShutdown, q.c, nil, 0, 0)
		r.s.mu.Unlock()
		return true, r.shutdown(ErrShutdown, nil)
	}
	r.opMu.Lock()
	defer r.opMu.Unlock()
	s := r.s
	s.mu.Lock()
	c := q.c
	if c.gen != q.gen || c.state != StateRestarting || r.phase >= phaseStopping || r.indexOf(c) < 0 {
		s.mu.Unlock() // already restarted with its group, removed, or shutting down
		return false, nil
	}
	delay, ok := r.admit(c, q.err, q.at)
	if !ok {
		s.mu.Unlock()
		return false, nil
	}
	if s.cfg.strategy == policy.OneForOne {
		r.launch(c, delay)
		s.mu.Unlock()
		return false, nil
	}
	s.mu.Unlock()
	r.groupRestart(c, delay)
	return false, nil
}

// groupRestart restarts failed and the siblings its strategy names: it stops
// them newest-first, waits delay, then starts them in order. A start failure
// counts as a failure of that child and restarts its group again. Called in
// the loop with opMu held; opMu is released during the delay, so that Remove
// and a manual Restart (which ends the delay) are not held up by it.
func (r *run) groupRestart(failed *child, delay time.Duration) {
	s := r.s
	var start []*child
	defer func() { // whatever happened, nothing waits for this group any more
		s.mu.Lock()
		for _, x := range start {
			x.inGroup = false
		}
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		idx := r.indexOf(failed)
		if idx < 0 || r.phase >= phaseStopping {
			s.mu.Unlock()
			return
		}
		members := make([]policy.Member, len(r.children))
		for i, x := range r.children {
			members[i] = policy.Member{Type: x.spec.Restart, Alive: x.alive && i != idx}
		}
		plan := s.cfg.strategy.Plan(members, idx)
		pick := func(idx []int) []*child {
			out := make([]*child, len(idx))
			for i, j := range idx {
				out[i] = r.children[j]
			}
			return out
		}
		stop, remove := pick(plan.Stop), pick(plan.Remove)
		start = pick(plan.Start)
		now := time.Now()
		for _, x := range start {
			x.inGroup = true // its stop is part of a restart, not an end
			if x != failed && !x.alive {
				x.setState(StateRestarting, now)
			}
		}
		if delay > 0 {
			failed.setState(StateBackoff, now)
		}
		s.mu.Unlock()

		for _, x := range stop {
			if r.stopChild(x, ErrRestarting, x.shutdownTimeout()) {
				s.mu.Lock()
				r.queue(request{kind: reqEscalate, c: x, err: ErrChildBusy, at: time.Now(), reason: "stuck"})
				s.mu.Unlock()
				return
			}
		}
		s.mu.Lock()
		for _, x := range remove {
			if !x.stuck {
				r.removeChild(x)
				r.emit(EventRemoved, x, nil, 0, 0)
			}
		}
		s.mu.Unlock()
		if delay > 0 && !r.groupDelay(failed, delay) {
			return
		}
		if r.runCtx.Err() != nil || r.urgentPending() {
			return // stopping or failing now: the group stays stopped
		}
		next, err := r.startGroup(start)
		if next == nil {
			return
		}
		s.mu.Lock()
		now = time.Now()
		next.setState(StateRestarting, now)
		var ok bool
		delay, ok = r.admit(next, err, now)
		s.mu.Unlock()
		if !ok {
			return
		}
		failed = next
	}
}

// urgentPending reports whether an escalation or auto-shutdown is queued.
func (r *run) urgentPending() bool {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for _, q := range r.pending {
		if q.kind != reqRestart {
			return true
		}
	}
	return false
}

// groupDelay waits out a group restart's backoff with opMu released. It
// ends early when the failed child is restarted or removed by request (its
// delay is cancelled; the rest of the group then starts at once), and
// reports false if the run is ending or failing.
func (r *run) groupDelay(failed *child, delay time.Duration) bool {
	select { // forget a kick meant for an earlier group
	case <-r.kick:
	default:
	}
	r.s.mu.Lock()
	r.delayed = failed
	r.s.mu.Unlock()
	r.opMu.Unlock()
	defer func() {
		r.opMu.Lock()
		r.s.mu.Lock()
		r.delayed = nil
		r.s.mu.Unlock()
	}()
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.kick:
	case <-r.urgent: // an escalation or auto-shutdown cannot wait
		return false
	case <-r.runCtx.Done():
		return false
	}
	return true
}

// startGroup starts children in order. It returns the child that failed to
// start, with its error, or nil.
func (r *run) startGroup(start []*child) (*child, error) {
	for _, x := range start {
		r.s.mu.Lock()
		skip := x.alive || r.indexOf(x) < 0 // restarted or removed by request meanwhile
		r.s.mu.Unlock()
		if skip {
			continue
		}
		err := r.startChild(x)
		if errors.Is(err, errAborted) {
			return nil, nil
		}
		var se *StartError
		if errors.As(err, &se) {
			return x, se.Err
		}
	}
	return nil, nil
}

// escalate gives up: it builds the escalation error and shuts down.
func (r *run) escalate(q request) error {
	s := r.s
	s.mu.Lock()
	err := q.err
	if err == nil {
		err = ErrUnexpectedExit
	}
	lim := s.cfg.intensity
	esc := &EscalationError{
		Supervisor: r.path,
		Child:      q.c.path,
		Origin:     originOf(err, q.c.path),
		Reason:     q.reason,
		Restarts:   r.window.Count(q.at) + 1,
		Period:     lim.Period,
		Err:        err,
	}
	if q.reason == "backoff" {
		esc.Restarts = int(q.c.consecutive)
	}
	r.result = esc
	r.emit(EventEscalated, nil, esc, 0, 0)
	s.mu.Unlock()
	return r.shutdown(ErrEscalating, esc)
}

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
		for _, c := range order {
			if c.stuck {
				continue
			}
			r.stopChild(c, cause, waitFor(c))
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
