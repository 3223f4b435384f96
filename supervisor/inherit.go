package supervisor

// A run again while an earlier run's stuck goroutines are still alive.
//
// A new run (a parent's restart of a child supervisor, or the user's Run)
// starts normally. A child whose goroutine of an earlier run is stuck gets
// a slot in the new run that waits for that goroutine: the slot is stuck
// (Health reports it; its name stays taken; it counts for MaxChildren) and
// starts once the old goroutine returns, as a manual Restart of a stuck
// child does, so that a child never has two live incarnations. A stuck
// child that is not in the spec (it was added with Add) keeps its name
// reserved the same way, and is dropped once its goroutine returns.
//
// Rejected: refusing the run (ErrStillStuck, the rule before). A parent
// restarting a child supervisor whose run escalated while one of its
// children was stuck then failed at once, again and again, spent its
// intensity in microseconds, and the whole tree gave up because one
// goroutine was slow to return.

// inheritLocked gives each goroutine of an earlier run still stuck a slot
// in r, a run not yet published. Called with s.mu held, from Run.
func (r *run) inheritLocked() {
	s := r.s
	if len(s.stuckLeft) == 0 {
		return
	}
	now := r.clock()
	for _, old := range s.stuckLeft {
		c := r.names.get(old.spec.Name)
		then := thenRestart
		if c == nil {
			// Not in the spec: its name is reserved until it returns.
			c = newChild(r, old.spec)
			r.linkLocked(c)
			then = thenRemoved
		}
		if !c.moveLocked(evInherit, lsStuck, now) {
			continue // two stuck goroutines for one name: the first holds the slot
		}
		c.then = then
		x := c.extra()
		report := *old.stuckLocked()
		x.stuckAt = &report
		x.old = old
		old.extra().heir = c
		r.inherited = append(r.inherited, c)
	}
}

// handOverLocked is called when old, a stuck record of an ended run, sees
// its goroutine return at last: if the run in progress has a slot waiting
// for it, that slot leaves stuck (it starts, or a child not in the spec is
// dropped), and handOverLocked reports true. Called with s.mu held.
func (s *Supervisor) handOverLocked(old *child, err error) bool {
	h := old.x.heir
	old.x.heir = nil
	if h == nil || s.r == nil || h.r != s.r || h.st != lsStuck || h.x.old != old {
		return false
	}
	h.r.unstuckLocked(h, err, h.r.clock())
	return true
}

// inheritedNowLocked returns the reports of r's slots that still wait for
// a stuck goroutine of an earlier run. Called with s.mu held.
func (r *run) inheritedNowLocked() []StuckChild {
	var out []StuckChild
	for _, c := range r.inherited {
		if c.st == lsStuck && c.x.old != nil && c.x.stuckAt != nil {
			out = append(out, *c.x.stuckAt)
		}
	}
	return out
}
