package supervisor

import "context"

// A child's status is the text its actor last published with
// actor.SetStatus. Each run listens with one report function set on its
// scope (childStatus), found by every incarnation's context through the
// scope's values: a child that never publishes pays nothing, neither memory
// in its record nor work per incarnation. The text lives in the record's
// extra part, tagged with the incarnation that set it, so that it is shown
// only while that incarnation lives and needs no clearing on the exit path.

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
	x.status, x.statusGen = text, c.gen
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
