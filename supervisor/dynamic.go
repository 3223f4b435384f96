package supervisor

import (
	"time"

	"github.com/arbor-go/arbor/policy"
)

// Add starts a new child in the running supervisor, after the existing
// ones in start order, and waits for it to become ready if it must. It
// returns a *ConfigError for an invalid spec or a name already taken
// (matching ErrDuplicateName), a *StartError if the child failed to start
// (nothing is counted or retried then, and the child is not kept), or an
// *OpError naming the supervisor and the child whose Err is ErrMaxChildren,
// ErrNotRunning (before Run, or after it returned) or ErrShuttingDown (at
// once, once shutdown has begun, also while Add waits for the child to
// become ready or, past its start timeout, to stop: the shutdown takes the
// child over). Add is safe for concurrent use; the
// child takes part in the strategy like the others. Children added by Add
// are not carried over to a later run.
//
// Add, Remove and Restart wait while the supervisor is starting or
// stopping other children. A child must therefore not call them on its own
// supervisor while that supervisor waits for it (before the child calls
// actor.Ready, or while it is being stopped): as in OTP, a call into your
// own supervisor from there waits for itself, until the child's start or
// shutdown timeout ends the wait.
func (s *Supervisor) Add(spec Child) error {
	if !s.made() {
		return s.opError("Add", nil, spec.Name, ErrNotConstructed)
	}
	if err := spec.validate(s.cfg.auto); err != nil {
		return err
	}
	r, err := s.lockOps()
	if err != nil {
		return s.opError("Add", nil, spec.Name, err)
	}
	defer r.releaseOps()
	s.mu.Lock()
	switch {
	case r.names.get(spec.Name) != nil:
		s.mu.Unlock()
		return &ConfigError{Field: "Child.Name", Value: spec.Name, Reason: "is already taken", Err: ErrDuplicateName}
	case s.cfg.maxChildren > 0 && r.count >= s.cfg.maxChildren:
		s.mu.Unlock()
		return s.opError("Add", r, spec.Name, ErrMaxChildren)
	}
	c := newChild(r, &spec) // spec is Add's own copy
	r.linkLocked(c)
	s.mu.Unlock()

	err = r.startChild(c)
	if err == nil {
		return nil
	}
	if err == errAborted {
		return s.opError("Add", r, spec.Name, ErrShuttingDown) // the shutdown stops the child with the others
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.st == lsStuck || c.st == lsStopping {
		c.then = thenRemoved // its name stays taken until it returns
	} else if c.moveLocked(evDrop, lsRemoved, r.clock()) {
		r.unlinkLocked(c)
	}
	return err
}

// Remove stops the named child gracefully, within its shutdown timeout, and
// removes it; a significant child removed this way does not trigger
// auto-shutdown. If the child does not stop in time it is reported stuck: its
// name stays taken until its goroutine returns, and Remove returns a
// *StuckError. Otherwise it returns an *OpError naming the supervisor and
// the child, whose Err is ErrUnknownChild, ErrChildBusy (stuck),
// ErrNotRunning or ErrShuttingDown as the case may be.
//
// A shutdown that begins while Remove waits for the child takes the stop
// over, within the shutdown budget: Remove returns ErrShuttingDown (in an
// *OpError) at once, and the shutdown waits for the child with what is left
// of its shutdown timeout. Restart, a group restart and a start that timed
// out are taken over the same way.
func (s *Supervisor) Remove(name string) error {
	r, c, stuck, err := s.stopByName("Remove", name, ErrRemoved, thenRemoved)
	if r == nil {
		return err
	}
	defer r.releaseOps()
	if stuck != nil {
		return stuckReport(r.path, *stuck)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := r.clock()
	if c.st != lsRemoved && c.moveLocked(evDrop, lsRemoved, now) {
		r.unlinkLocked(c)
	}
	r.emitLocked(EventRemoved, c, nil, now, 0, 0)
	return nil
}

// Restart stops the named child and starts it again at once, even from
// backoff or after it stopped for good (a Transient child that exited
// normally). The restart is not counted against the intensity and runs no
// strategy on its siblings, and is not counted in ChildInfo.Restarts. It
// returns a *StartError if the child failed to start again, a *StuckError
// if it did not stop in time (the child then stays visible as stuck, not
// alive, not ready, and is started again as soon as its goroutine returns,
// as the Restart asked), or an *OpError naming the supervisor and the
// child, whose Err is ErrUnknownChild, ErrChildBusy (stuck), ErrNotRunning
// or ErrShuttingDown (also at once when the shutdown begins while Restart
// waits for the child to stop or start: see Remove).
func (s *Supervisor) Restart(name string) error {
	r, c, stuck, err := s.stopByName("Restart", name, ErrManualStop, thenRestart)
	if r == nil {
		return err
	}
	defer r.releaseOps()
	if stuck != nil {
		return stuckReport(r.path, *stuck)
	}
	s.mu.Lock()
	c.consecutive = 0
	s.mu.Unlock()
	err = r.startChild(c)
	if err == errAborted {
		return s.opError("Restart", r, name, ErrShuttingDown)
	}
	return err
}

// stopByName stops the named child for op (Remove or Restart). When it
// returns a run, the operations token is held and the child was found;
// stuck is then the child's report if it did not stop in time, made under
// the same lock that found it stuck. Without a run, err (an *OpError) says
// why: ErrShuttingDown at once when the shutdown begins while the child is
// stopping (the shutdown takes the stop over).
func (s *Supervisor) stopByName(op, name string, cause error, then afterStop) (*run, *child, *StuckChild, error) {
	if !s.made() {
		return nil, nil, nil, s.opError(op, nil, name, ErrNotConstructed)
	}
	r, err := s.lockOps()
	if err != nil {
		return nil, nil, nil, s.opError(op, nil, name, err)
	}
	s.mu.Lock()
	c := r.names.get(name)
	switch {
	case c == nil:
		err = ErrUnknownChild
	case c.st == lsStuck:
		err = ErrChildBusy
	}
	if err != nil {
		s.mu.Unlock()
		r.releaseOps()
		return nil, nil, nil, s.opError(op, r, name, err)
	}
	if c == r.delayed {
		signal(r.kick) // a manual Restart starts it at once; Remove cancels its delay
	}
	s.mu.Unlock()
	st, err := r.stopChild(c, cause, then, time.Time{}, true)
	if err != nil {
		// The shutdown began while the child was stopping: it takes the
		// stop over, within its budget.
		r.releaseOps()
		return nil, nil, nil, s.opError(op, r, name, ErrShuttingDown)
	}
	return r, c, st, nil
}

// lockOps returns the current run with the operations token held, or why
// there is none. Once shutdown has begun it returns ErrShuttingDown at
// once, without waiting for the token.
func (s *Supervisor) lockOps() (*run, error) {
	s.mu.Lock()
	r := s.r
	s.mu.Unlock()
	if r == nil {
		return nil, ErrNotRunning
	}
	if !r.tryOps() {
		return nil, ErrShuttingDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r != r {
		r.releaseOps()
		return nil, ErrNotRunning
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
	// Restarts counts the restarts the supervisor decided for the child in
	// its current run, counted as Counters.Restarts counts them (a restart
	// with its group included); Counters span all runs.
	Restarts  int       `json:"restarts"`
	LastError error     `json:"-"`
	Since     time.Time `json:"since"`
}

// Children returns a snapshot of the children of the run in progress, in
// start order, or nil when the supervisor is not running. It never waits
// on user code.
func (s *Supervisor) Children() []ChildInfo {
	if !s.made() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	if r == nil {
		return nil
	}
	out := make([]ChildInfo, 0, r.count)
	for c := r.first; c != nil; c = c.next {
		_, lastErr := c.lastLocked()
		out = append(out, ChildInfo{Name: c.spec.Name, Path: c.path, Kind: c.kind(), Restart: c.spec.Restart,
			State: c.publicLocked(), Ready: c.readyLocked(), WaitReady: c.waitReady,
			Incarnation: c.gen, Restarts: int(c.restarts), LastError: lastErr, Since: r.at(c.since)})
	}
	return out
}

// kind is the child's kind as its spec says.
func (c *child) kind() Kind {
	if c.isSup {
		return KindSupervisor
	}
	return KindWorker
}

// opError is the *OpError of op on the child named name, refused with err.
// It names the supervisor by the path of r, else of the run in progress,
// else by its name; a Supervisor not made by New has none. Called without
// s.mu held.
func (s *Supervisor) opError(op string, r *run, name string, err error) error {
	e := &OpError{Op: op, Child: name, Err: err}
	switch {
	case r != nil:
		e.Supervisor = r.path
	case s.made():
		s.mu.Lock()
		if s.r != nil {
			e.Supervisor = s.r.path
		} else {
			e.Supervisor = s.name
		}
		s.mu.Unlock()
	}
	if e.Supervisor != "" {
		e.Child = e.Supervisor + PathSeparator + name
	}
	return e
}

// stuckReport is the error of a Remove or Restart whose child did not stop.
func stuckReport(path string, st StuckChild) error {
	report := []StuckChild{st}
	fillStacks(report)
	return &StuckError{Supervisor: path, Stuck: report}
}
