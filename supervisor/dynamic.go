package supervisor

import (
	"time"

	"github.com/arbor-go/arbor/policy"
)

// Add starts a new child in the running supervisor, after the existing
// ones in start order, and waits for it to become ready if it must. It
// returns a *ConfigError for an invalid spec, an error wrapping
// ErrDuplicateName, ErrMaxChildren, ErrNotRunning (before Run, or after it
// returned), ErrShuttingDown, or a *StartError if the child failed to start
// (nothing is counted or retried then, and the child is not kept). Add is
// safe for concurrent use; the child takes part in the strategy like the
// others. Children added by Add are not carried over to a later run.
//
// Add, Remove and Restart wait while the supervisor is starting or
// stopping other children. A child must therefore not call them on its own
// supervisor while that supervisor waits for it (before the child calls
// actor.Ready, or while it is being stopped): as in OTP, a call into your
// own supervisor from there waits for itself, until the child's start or
// shutdown timeout ends the wait.
func (s *Supervisor) Add(spec Child) error {
	if err := spec.validate(s.cfg.auto); err != nil {
		return err
	}
	r, err := s.lockOps()
	if err != nil {
		return err
	}
	defer r.opMu.Unlock()
	s.mu.Lock()
	switch {
	case r.byName[spec.Name] != nil:
		s.mu.Unlock()
		return &ConfigError{Field: "Child.Name", Value: spec.Name, Reason: "is already taken", Err: ErrDuplicateName}
	case s.cfg.maxChildren > 0 && len(r.children) >= s.cfg.maxChildren:
		s.mu.Unlock()
		return ErrMaxChildren
	}
	c := newChild(r, &spec) // spec is Add's own copy
	r.children = append(r.children, c)
	r.byName[spec.Name] = c
	s.mu.Unlock()

	err = r.startChild(c)
	if err == nil {
		return nil
	}
	if err == errAborted {
		return ErrShuttingDown // the shutdown stops the child with the others
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.stuck {
		r.removeChild(c)
	} else {
		c.removed = true
	}
	return err
}

// Remove stops the named child gracefully, within its shutdown timeout, and
// removes it; a significant child removed this way does not trigger
// auto-shutdown. If the child does not stop in time it is reported stuck: its
// name stays taken until its goroutine returns, and Remove returns a
// *StuckError. Remove returns ErrUnknownChild, ErrNotRunning or
// ErrShuttingDown as the case may be.
func (s *Supervisor) Remove(name string) error {
	r, c, err := s.stopByName(name, ErrRemoved)
	if r == nil {
		return err
	}
	defer r.opMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		c.removed = true
		return err
	}
	r.removeChild(c)
	r.emit(EventRemoved, c, nil, 0, 0)
	return nil
}

// Restart stops the named child and starts it again at once, even from
// backoff or after it stopped for good (a Transient child that exited
// normally). The restart is not counted against the intensity and runs no
// strategy on its siblings. It returns ErrUnknownChild, ErrChildBusy (stuck),
// ErrNotRunning, ErrShuttingDown, a *StuckError if the child did not stop in
// time, or a *StartError if it failed to start again.
func (s *Supervisor) Restart(name string) error {
	r, c, err := s.stopByName(name, ErrManualStop)
	if r == nil {
		return err
	}
	defer r.opMu.Unlock()
	if err != nil {
		return err
	}
	s.mu.Lock()
	c.consecutive = 0
	s.mu.Unlock()
	err = r.startChild(c)
	if err == errAborted {
		return ErrShuttingDown
	}
	return err
}

// stopByName stops the named child for Remove or Restart. When it returns a
// run, its opMu is held and the child was found; err is then a *StuckError
// if the child did not stop in time. Without a run, err says why.
func (s *Supervisor) stopByName(name string, cause error) (*run, *child, error) {
	r, err := s.lockOps()
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	c := r.byName[name]
	switch {
	case c == nil:
		err = ErrUnknownChild
	case c.stuck:
		err = ErrChildBusy
	}
	if err != nil {
		s.mu.Unlock()
		r.opMu.Unlock()
		return nil, nil, err
	}
	r.kickGroup(c)
	s.mu.Unlock()
	if !r.stopChild(c, cause, c.shutdownTimeout()) {
		return r, c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return r, c, &StuckError{Supervisor: r.path, Stuck: []StuckChild{r.stuck[len(r.stuck)-1]}}
}

// kickGroup ends the delay of a group restart that waits out c's backoff:
// a manual Restart of c starts it at once, and Remove cancels its delay.
// Requests on bystanders leave the delay alone. Called with s.mu held.
func (r *run) kickGroup(c *child) {
	if c == r.delayed {
		signal(r.kick)
	}
}

// lockOps returns the current run with its opMu held, or why there is none.
func (s *Supervisor) lockOps() (*run, error) {
	s.mu.Lock()
	r := s.r
	s.mu.Unlock()
	if r == nil {
		return nil, ErrNotRunning
	}
	r.opMu.Lock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r != r {
		r.opMu.Unlock()
		return nil, ErrNotRunning
	}
	if r.phase >= phaseStopping {
		r.opMu.Unlock()
		return nil, ErrShuttingDown
	}
	return r, nil
}

// ChildInfo is a snapshot of one child.
type ChildInfo struct {
	Name        string             `json:"name"`
	Path        string             `json:"path"`
	Kind        Kind               `json:"-"`
	Restart     policy.RestartType `json:"-"`
	State       State              `json:"state"`
	Ready       bool               `json:"ready"`
	WaitReady   bool               `json:"wait_ready"`
	Incarnation uint64             `json:"incarnation"`
	Restarts    int                `json:"restarts"`
	LastError   error              `json:"-"`
	Since       time.Time          `json:"since"`
}

// Children returns a snapshot of the children of the run in progress, in
// start order, or nil when the supervisor is not running.
func (s *Supervisor) Children() []ChildInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	if r == nil {
		return nil
	}
	out := make([]ChildInfo, len(r.children))
	for i, c := range r.children {
		kind := KindWorker
		if c.isSup || c.sub.Load() != nil {
			kind = KindSupervisor
		}
		out[i] = ChildInfo{Name: c.spec.Name, Path: c.path, Kind: kind, Restart: c.spec.Restart,
			State: c.state, Ready: c.ready && c.state == StateRunning, WaitReady: c.waitReady,
			Incarnation: c.gen, Restarts: int(c.restarts), LastError: c.lastErr, Since: c.since}
	}
	return out
}
