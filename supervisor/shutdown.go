package supervisor

// The shutdown of a run, and the report of what did not stop.

import (
	"time"
)

// shutdown stops every child newest-first (or all at once with concurrent
// shutdown), within the shutdown budget, and returns result, Run's error
// before stuck children are added to it.
func (r *run) shutdown(cause, result error) error {
	s := r.s
	s.mu.Lock()
	if r.phase < phaseStopping {
		r.phase = phaseStopping
		close(r.quit)
	}
	r.ready = false
	now := r.clock()
	if b := s.cfg.shutdownBudget; b > 0 {
		r.deadline = r.timeAt(now).Add(b)
	}
	deadline := r.deadline
	r.emitLocked(EventShutdown, nil, result, now, 0, 0)
	s.mu.Unlock()

	r.takeOps()
	defer r.releaseOps()
	if d := s.cfg.drainDelay; d > 0 {
		t := time.NewTimer(d)
		<-t.C
	}
	r.waitInit(deadline)
	order := r.startOrder()
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	// An operation in flight (a Remove, a Restart, a group restart, a start
	// that timed out) ended its wait for a child when the shutdown began:
	// that child is still stopping, and is waited for here like the
	// others, with what is left of its own timeout since it was asked,
	// within the budget.
	budget := !deadline.IsZero()
	if s.cfg.concurrentShutdown {
		r.stopAllAtOnce(order, cause, deadline)
	} else {
		for i, c := range order {
			if budget && time.Until(deadline) <= 0 {
				// The budget is spent: the rest are cancelled together,
				// and those that do not stop at once are reported stuck.
				r.stopAllAtOnce(order[i:], cause, deadline)
				break
			}
			_, _ = r.stopChild(c, cause, thenStopped, deadline, false)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := r.first; c != nil; c = c.next {
		if c.st.alive() && c.st != lsStuck && c.st != lsStopping { // a safety net: nothing is left running
			r.askStopLocked(c, thenStopped, r.clock())
			c.cancel(cause)
		}
	}
	return result
}

// collectStuck returns the report of everything in the tree below r that
// did not stop, with one goroutine profile for all their stacks: this run's
// stuck children (in the order they were found stuck), the init hook if
// abandoned, and what child supervisors report of their own (only what is
// still stuck now: a goroutine that returned since is no longer reported).
// It also returns the child supervisors that reported something.
func (r *run) collectStuck() ([]StuckChild, []*Supervisor) {
	s := r.s
	s.mu.Lock()
	out := r.stuckNowLocked()
	subs := r.subsLocked()
	s.mu.Unlock()
	if r.init.left() {
		out = append(out, StuckChild{Path: r.path + PathSeparator + "(init)", Waited: r.init.waited})
	}
	var below []*Supervisor
	for _, sub := range subs {
		if st := sub.stuckBelow(); len(st) > 0 {
			out = append(out, st...)
			below = append(below, sub)
		}
	}
	fillStacks(out)
	return dedupStuck(out), below
}

// stuckNowLocked returns the reports of r's children that are stuck now.
// Called with s.mu held.
func (r *run) stuckNowLocked() []StuckChild {
	out := r.inheritedNowLocked()
	for _, c := range r.stuckList {
		if st := c.stuckLocked(); c.st == lsStuck && st != nil {
			out = append(out, *st)
		}
	}
	return out
}

// subsLocked returns the supervisors running as r's declared supervisor
// children. Called with s.mu held.
func (r *run) subsLocked() []*Supervisor {
	var subs []*Supervisor
	for c := r.first; c != nil; c = c.next {
		if sub := c.subLocked(); sub != nil {
			subs = append(subs, sub)
		}
	}
	return subs
}

// stuckBelow returns the stuck goroutines left by s's ended runs that are
// still running, those of its run in progress, and those below them.
func (s *Supervisor) stuckBelow() []StuckChild {
	s.mu.Lock()
	var out []StuckChild
	for _, c := range s.stuckLeft {
		if c.x.heir == nil || s.r == nil || c.x.heir.r != s.r {
			out = append(out, *c.stuckLocked()) // else the run in progress reports its slot
		}
	}
	out = append(out, s.lingeringLocked()...)
	subs := append([]*Supervisor(nil), s.leftSubs...)
	if r := s.r; r != nil {
		out = append(out, r.stuckNowLocked()...)
		subs = append(subs, r.subsLocked()...)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		out = append(out, sub.stuckBelow()...)
	}
	return out
}

// forgetStuckLocked drops c from the stuck goroutines of ended runs.
// Called with s.mu held.
func (s *Supervisor) forgetStuckLocked(c *child) {
	for i, st := range s.stuckLeft {
		if st == c {
			s.stuckLeft = append(s.stuckLeft[:i], s.stuckLeft[i+1:]...)
			return
		}
	}
}

// dedupStuck keeps the first report of each path.
func dedupStuck(in []StuckChild) []StuckChild {
	if len(in) < 2 {
		return in
	}
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, st := range in {
		if !seen[st.Path] {
			seen[st.Path] = true
			out = append(out, st)
		}
	}
	return out
}

// joinStuck returns result, with a *StuckError for stuck joined to it.
func joinStuck(path string, result error, stuck []StuckChild) error {
	if len(stuck) == 0 {
		return result
	}
	se := &StuckError{Supervisor: path, Stuck: stuck}
	if result == nil {
		return se
	}
	return &joinedError{errs: []error{result, se}}
}
