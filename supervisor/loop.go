package supervisor

import (
	"errors"
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
