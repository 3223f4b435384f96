package supervisor

// Watching a tree from outside: subscriptions to its events, a wait for its
// readiness, and counters that never miss an event.

import (
	"context"
	"sync"
	"sync/atomic"
)

// Subscription receives the events of a supervisor and of every supervisor
// below it, in every run, until it is closed. It is meant for tools that
// attach to a tree that is already running (a live page, a metrics
// collector, a process main); observers set with WithObserver are the way
// to see a tree from its first event.
//
// Events are sent without blocking: when the subscriber's buffer is full,
// the event is dropped and counted (see Dropped). A slow subscriber never
// slows supervision.
type Subscription struct {
	owner   *Supervisor
	dropped atomic.Uint64

	mu     sync.RWMutex // guards closed and sends on ch against Close
	closed bool
	ch     chan Event
}

// Subscribe returns a subscription to the events of s and of its whole
// subtree, with a buffer of the given length. buffer must be at least 1 and
// at most MaxObserverBuffer; otherwise Subscribe returns a *ConfigError.
// Close the subscription when done with it.
func (s *Supervisor) Subscribe(buffer int) (*Subscription, error) {
	if !s.made() {
		return nil, ErrNotConstructed
	}
	if err := validateBuffer("Subscribe.buffer", buffer); err != nil {
		return nil, err
	}
	sub := &Subscription{owner: s, ch: make(chan Event, buffer)}
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	old := s.subs.Load()
	var next []*Subscription
	if old != nil {
		next = append(next, (*old)...)
	}
	next = append(next, sub)
	s.subs.Store(&next)
	subsEpoch.Add(1)
	openSubscriptions.Add(1)
	return sub, nil
}

// Events returns the channel the events arrive on. It is closed by Close.
func (sub *Subscription) Events() <-chan Event { return sub.ch }

// Dropped returns how many events were dropped so far because the buffer
// was full.
func (sub *Subscription) Dropped() uint64 { return sub.dropped.Load() }

// Close ends the subscription and closes its channel. It is safe to call
// more than once and concurrently with the tree's events.
func (sub *Subscription) Close() {
	s := sub.owner
	s.subsMu.Lock()
	if old := s.subs.Load(); old != nil {
		next := make([]*Subscription, 0, len(*old))
		for _, x := range *old {
			if x != sub {
				next = append(next, x)
			}
		}
		s.subs.Store(&next)
		subsEpoch.Add(1)
	}
	s.subsMu.Unlock()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.closed {
		sub.closed = true
		close(sub.ch)
		openSubscriptions.Add(-1)
	}
}

// send queues e without blocking, or counts it as dropped.
func (sub *Subscription) send(e Event) {
	sub.mu.RLock()
	defer sub.mu.RUnlock()
	if sub.closed {
		return
	}
	select {
	case sub.ch <- e:
	default:
		sub.dropped.Add(1)
	}
}

// openSubscriptions counts the subscriptions not closed, in the whole
// process: while there are none, an event does not look for any.
var openSubscriptions atomic.Int64

// subsEpoch counts the changes to any supervisor's subscriptions, in the
// whole process: a run's view of the subscriptions above it (subsView) is
// current while it was made at the present epoch. Subscribe and Close
// change the lists first and the epoch after, so that a view made after a
// Subscribe returned sees its subscription.
var subsEpoch atomic.Uint64

// subsView is what a run's events are delivered to: the subscriptions of
// its supervisor and of every supervisor above it, at epoch. Immutable.
type subsView struct {
	epoch uint64
	subs  []*Subscription
}

// subscriptions returns the subscriptions of r's supervisor and of every
// supervisor above it. It reads only atomics and immutable links, so it
// needs no lock.
//
// It does not look at every supervisor up to the root for each event:
// that walk, as long as the tree is deep, made each level of a deep tree
// cost more the deeper it was. Each run keeps its view (r.subs), made from
// its parent run's once per change of any subscription (subsEpoch); a
// stale view is remade walking up only to the first current one, and the
// views on the way are remade too, so that the next run below finds its
// parent's current.
//
// The walk is a function of its own, never inlined: its frame (the stale
// list's room on the stack) made the frame of subscriptions large, and
// every exit of an unobserved child, on a goroutine whose stack is nearly
// full at that depth, grew and copied its stack to call it even when it
// returned at once (BenchmarkCancelTree: 15% of the CPU in copystack, a
// stop of 10,000 children twice as slow). The common case is inlined.
func (r *run) subscriptions() []*Subscription {
	if openSubscriptions.Load() == 0 {
		return nil // the common case
	}
	return r.subscriptionsSlow()
}

// subscriptionsSlow is subscriptions once some subscription is open.
//
//go:noinline
func (r *run) subscriptionsSlow() []*Subscription {
	epoch := subsEpoch.Load()
	if v := r.subs.Load(); v != nil && v.epoch == epoch {
		return v.subs
	}
	var stale []*run
	var above []*Subscription
	for x := r; x != nil; x = x.parentRun() {
		if v := x.subs.Load(); v != nil && v.epoch == epoch {
			above = v.subs
			break
		}
		stale = append(stale, x)
	}
	for i := len(stale) - 1; i >= 0; i-- {
		x := stale[i]
		if testHookSubsVisit != nil {
			testHookSubsVisit()
		}
		if p := x.s.subs.Load(); p != nil && len(*p) > 0 {
			above = append(append(make([]*Subscription, 0, len(*p)+len(above)), *p...), above...)
		}
		x.subs.Store(&subsView{epoch: epoch, subs: above})
	}
	return above
}

// testHookSubsVisit, set only by tests, is called for every supervisor
// whose subscriptions are looked at to make a run's view of them (see
// export_test.go).
var testHookSubsVisit func()

// parentRun returns the run of the supervisor r runs under, or nil for a
// root.
func (r *run) parentRun() *run {
	if r.parent == nil {
		return nil
	}
	return r.parent.r
}

// WaitReady blocks until s is running and ready (its start phase is done
// and its shutdown has not begun; since a parent waits for every child that
// must become ready, a root's readiness is the whole tree's first
// readiness), and returns nil. If s is not running, it waits for a run to
// become ready. It returns context.Cause(ctx) if ctx ends first. Use it to
// learn when a tree is up (to notify systemd, print a bound address or
// start a test) without polling Readiness.
func (s *Supervisor) WaitReady(ctx context.Context) error {
	if !s.made() {
		return ErrNotConstructed
	}
	if ctx == nil {
		return &ConfigError{Field: "WaitReady.ctx", Value: nil, Reason: "must not be nil"}
	}
	for {
		s.mu.Lock()
		if s.r != nil && s.r.phase == phaseRunning && s.r.ready {
			s.mu.Unlock()
			return nil
		}
		if s.readyCh == nil {
			s.readyCh = make(chan struct{})
		}
		ch := s.readyCh
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// notifyReadyLocked wakes the callers of WaitReady. Called with s.mu held
// when a run becomes ready.
func (s *Supervisor) notifyReadyLocked() {
	if s.readyCh != nil {
		close(s.readyCh)
		s.readyCh = nil
	}
}

// Done returns a channel that is closed when the run of s in progress
// ends: its shutdown is over (its children stopped, or reported stuck), and
// Run is about to return. If s is not running, the channel returned is
// already closed. A tool attached to a running tree with Subscribe uses it
// to end with the run, as the health package's event backlog does; to learn
// when a run starts, use WaitReady.
func (s *Supervisor) Done() <-chan struct{} {
	if !s.made() {
		return closedChan
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return closedChan
	}
	if s.doneCh == nil {
		s.doneCh = make(chan struct{})
	}
	return s.doneCh
}

// closedChan is the channel Done returns when no run is in progress.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// notifyDoneLocked wakes the readers of Done. Called with s.mu held when a
// run has ended (s.r is nil again).
func (s *Supervisor) notifyDoneLocked() {
	if s.doneCh != nil {
		close(s.doneCh)
		s.doneCh = nil
	}
}

// Counters are running totals of a supervisor's lifecycle events, over all
// its runs since New (ChildInfo.Restarts, Snapshot.Restarts and
// Event.Restarts count the current run only). They are counted where the
// events happen, before any queue, so they never miss one, even when an
// observer's queue is full. They cover the supervisor's own children, not
// the supervisors below it (each has its own; Snapshot carries every
// supervisor's).
type Counters struct {
	Starts uint64 `json:"starts"` // incarnations launched
	// Restarts counts the restarts the supervisor decided, one for each
	// child restarted: a child restarted after its own exit adds one, and a
	// OneForAll or RestForOne group restart adds one for the failed child
	// and one for each sibling it stops (or finds stopped) and starts
	// again (the failed child's restart has an EventRestarting; the
	// siblings' stopped and started events name it as their Origin). A
	// manual Restart is not counted,
	// nor a restart refused because the supervisor gave up. This is the one
	// definition of a restart count: ChildInfo.Restarts, Snapshot.Restarts
	// and Event.Restarts count the same for one child in one run. The
	// intensity window counts differently: a group restart once, for its
	// failure.
	Restarts      uint64 `json:"restarts"`
	ExitsNormal   uint64 `json:"exits_normal"`   // incarnations that returned nil by themselves
	ExitsShutdown uint64 `json:"exits_shutdown"` // incarnations that stopped when asked to: shutdown, Remove, manual Restart
	// ExitsGroup counts the incarnations stopped to restart with their
	// group after a sibling failed (OneForAll, RestForOne). For their
	// restart type these are shutdown exits; they are counted apart from
	// ExitsShutdown so that a group restart is not mistaken for a
	// shutdown.
	ExitsGroup    uint64 `json:"exits_group"`
	ExitsAbnormal uint64 `json:"exits_abnormal"` // incarnations that failed: error, panic, Goexit, start timeout or hang
	// Failures by kind; each failure counts once, under one kind, so
	// Errors, Panics, StartTimeouts and Hangs add up to ExitsAbnormal.
	Errors        uint64 `json:"errors"`         // failures by returning an error (or calling runtime.Goexit)
	Panics        uint64 `json:"panics"`         // failures by panicking
	StartTimeouts uint64 `json:"start_timeouts"` // incarnations not ready within their start timeout
	Hangs         uint64 `json:"hangs"`          // incarnations that missed their liveness deadline (see Liveness)
	StartFailures uint64 `json:"start_failures"` // children that failed to start when a start was waited for
	StopTimeouts  uint64 `json:"stop_timeouts"`  // children that did not stop in time (reported stuck)
	// Escalations counts the times the supervisor gave up, by reason:
	// "intensity", "decider", "backoff" or "stuck".
	EscalationsIntensity uint64 `json:"escalations_intensity"`
	EscalationsDecider   uint64 `json:"escalations_decider"`
	EscalationsBackoff   uint64 `json:"escalations_backoff"`
	EscalationsStuck     uint64 `json:"escalations_stuck"`
}

// Counters returns the supervisor's running totals.
func (s *Supervisor) Counters() Counters {
	if s == nil {
		return Counters{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// countLocked adds one event of kind about child x (nil for the
// supervisor's own) to the counters, with s.mu held; err is the event's
// error (compared by identity only: no method of a user's error runs here).
func (c *Counters) countLocked(kind EventKind, x *child, err error) {
	switch kind {
	case EventStarted:
		c.Starts++
	case EventRestarting:
		c.Restarts++
	case EventExited:
		c.ExitsNormal++
	case EventStopped:
		if x != nil && x.grouped {
			c.ExitsGroup++ // stopped to restart with its group
		} else {
			c.ExitsShutdown++
		}
	case EventFailed:
		c.ExitsAbnormal++
		if _, timeout := err.(*startTimeoutError); timeout {
			c.StartTimeouts++
		} else {
			c.Errors++
		}
	case EventPanicked:
		c.ExitsAbnormal++
		c.Panics++
	case EventHung:
		c.ExitsAbnormal++ // the hung incarnation's exit: its return adds no event
		c.Hangs++
	case EventStartFailed:
		// A start that failed by an error or a panic was counted by the
		// exit's own event; one that timed out was stopped (a shutdown
		// exit), so its timeout is counted here.
		c.StartFailures++
		if _, timeout := err.(*startTimeoutError); timeout {
			c.StartTimeouts++
		}
	case EventStopTimeout:
		c.StopTimeouts++
	case EventEscalated:
		if esc, ok := err.(*EscalationError); ok {
			switch esc.Reason {
			case "intensity":
				c.EscalationsIntensity++
			case "decider", "decider-failed":
				c.EscalationsDecider++
			case "backoff":
				c.EscalationsBackoff++
			case "stuck":
				c.EscalationsStuck++
			}
		}
	}
}
