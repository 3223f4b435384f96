package supervisor

import "context"

// A child's status is the text its actor last published with
// actor.SetStatus. Each run listens with one report function set on its
// scope (childStatus), found by every incarnation's context through the
// scope's values: a child that never publishes pays nothing, neither memory
// in its record nor work per incarnation. The text lives in the record's
// extra part, tagged with the incarnation that set it, so that it is shown
// only while that incarnation lives and needs no clearing on the exit path.
// Each change of the text is an EventStatus, for the logs (Debug), the
// observers and the page's event list.

// childStatus records text as the status of the child whose incarnation
// ctx belongs to, if it is one of r's children and the incarnation still
// lives. It runs in the caller's goroutine; ctx may be a context the actor
// derived, so its methods (user code) are called before the lock is taken.
//
// A context that is done belongs to an incarnation that was asked to stop
// or has ended: its text is dropped. An incarnation's context is cancelled
// under s.mu when the incarnation ends, and its goroutines are joined before
// it ends (the actor's contract), so a text that passes the check belongs to
// the current incarnation.
func (r *run) childStatus(ctx context.Context, text string) {
	if ctx.Err() != nil {
		return
	}
	c := childOf(ctx)
	if c == nil || c.r != r {
		return
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c.st {
	case lsStarting, lsRunning:
	default:
		return
	}
	if text == "" && c.x == nil {
		return
	}
	x := c.extra()
	if x.status == text && x.statusGen == c.gen {
		return
	}
	x.status, x.statusGen = text, c.gen
	r.emitStatusLocked(c, text, r.clock())
}

// emitStatusLocked emits EventStatus for c's new status text. It is
// publishLocked for the one event that carries a status (and no error, no
// count), kept apart so that the hot path's event building takes no
// parameter for it. Called with s.mu held.
func (r *run) emitStatusLocked(c *child, text string, now instant) {
	subs := r.subscriptions()
	if len(r.sinks) == 0 && len(subs) == 0 {
		return
	}
	r.seq++
	e := Event{Kind: EventStatus, Seq: r.seq, Time: r.wallLocked(now), Supervisor: r.path,
		Child: c.spec.Name, Path: c.path, Incarnation: c.gen, Restarts: int(c.restarts), Status: text, cfg: &r.s.cfg}
	for _, k := range r.sinks {
		k.publish(e)
	}
	for _, sub := range subs {
		sub.send(e) // never runs user code
	}
}

// statusLocked returns the status text of c's current incarnation, or "".
// Called with s.mu held.
func (c *child) statusLocked() string {
	if c.x == nil || c.x.statusGen != c.gen {
		return ""
	}
	switch c.st {
	case lsStarting, lsRunning, lsExiting, lsStopping, lsStuck, lsHung:
		return c.x.status
	}
	return ""
}
