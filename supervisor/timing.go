package supervisor

import "time"

// DrainDelay returns the drain delay set by WithDrainDelay (zero when none
// was given): how long the supervisor stays unready, at the beginning of
// its shutdown, before it stops its first child. The process main
// (package daemon) reads it to check that the drain fits in its own
// shutdown budget.
func (s *Supervisor) DrainDelay() time.Duration {
	if s == nil {
		return 0
	}
	return s.cfg.drainDelay
}

// ShutdownBudget returns the budget set by WithShutdownBudget (zero: none).
func (s *Supervisor) ShutdownBudget() time.Duration {
	if s == nil {
		return 0
	}
	return s.cfg.shutdownBudget
}
