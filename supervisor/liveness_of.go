package supervisor

import (
	"context"
	"time"
)

// BeatTimeout returns the liveness deadline of the beat form
// (Liveness.Timeout, with Probe nil) of the child whose incarnation ctx
// belongs to: the longest it may go without actor.Beat. It is for an actor
// that waits on something other than its own work and beats on its own
// behalf meanwhile, such as a singleton waiting for leadership (package
// leader): it beats often enough without a setting of its own. ok is false
// for a child without a Liveness, in the probe form, outside a supervisor
// and for a nil ctx.
func BeatTimeout(ctx context.Context) (timeout time.Duration, ok bool) {
	c := childOf(ctx)
	if c == nil || c.spec.Liveness == nil || c.spec.Liveness.Probe != nil {
		return 0, false
	}
	return c.spec.Liveness.Timeout, true // the spec is immutable: no lock
}
