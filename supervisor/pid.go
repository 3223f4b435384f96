package supervisor

import "context"

// SetPID records that the incarnation ctx belongs to runs the operating
// system process pid (0: it runs none any more), so that the report of a
// child that does not stop in time names it (StuckChild.PID). Package
// process calls it for the programs it runs; an actor that starts a
// process of its own can do the same. It is a no-op outside a supervisor
// and for a nil ctx.
func SetPID(ctx context.Context, pid int) {
	c := childOf(ctx)
	if c == nil {
		return
	}
	s := c.r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if pid != 0 || c.x != nil {
		c.extra().pid = pid
	}
}
