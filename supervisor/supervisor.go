// Package supervisor runs actors in supervision trees with the semantics of
// Erlang/OTP supervisors, on structured concurrency.
//
// A Supervisor owns a scope: a context only it cancels and a wait group that
// joins every goroutine it starts. When a child ends, the supervisor
// classifies the exit (normal, shutdown or abnormal), asks its policy what to
// do and does it: restart that child (OneForOne), all children (OneForAll) or
// it and the ones started after it (RestForOne). When restarts come faster
// than its intensity allows, it stops its whole subtree newest-first and its
// Run returns an *EscalationError; a parent supervisor treats that like any
// other failing child. A *Supervisor is itself an actor.Actor, so trees nest
// to any depth, and the root's failure is its Run's error.
//
// No goroutine outlives the Run that started it, except a child that refuses
// to stop within its shutdown timeout: that one is reported by path, with its
// stack, in a *StuckError.
//
// # A child's lifecycle
//
// Each child is in one state at a time and moves only through the
// transitions of this table, the state machine itself: what happens when a
// child fails, is stopped or hangs is one row away. Its states are those a
// child reports (State, in Children and Snapshot), and exiting, a step of
// its own goroutine between its return and what follows, reported as
// stopping. The supervisor's own table refines "stopped" into never
// started, stopped for good, and removed (gone from Children).
//
//	event        from                                  to
//	launch       stopped, restarting                   starting (WaitReady) or running
//	delay        stopped, restarting                   backoff
//	wake         backoff                               starting or running
//	ready        starting                              running
//	hang         running                               hung: it missed its liveness deadline (see
//	                                                   Liveness); failure recorded, then cancelled
//	exit         starting, running, hung               exiting (shown as stopping): its goroutine
//	                                                   examines the error and asks the decider
//	again        exiting                               starting, running or backoff (OneForOne, in place)
//	queue        exiting                               restarting (through the supervisor's loop)
//	end          exiting                               stopped (not restarted, or escalating)
//	stop         starting, running, backoff, exiting,  stopping
//	             hung
//	returned     stopping                              stopped, restarting or removed
//	timeout      stopping, hung                        stuck (from hung, the supervisor then gives up,
//	                                                   unless the child is temporary)
//	unstuck      stuck                                 stopped, restarting, removed, or started again
//	                                                   (a manual Restart whose stop timed out)
//	rejoin       stopped                               restarting (a group restart takes it)
//	give up      restarting                            stopped (the supervisor escalates)
//	drop         stopped, restarting                   removed (Remove, a temporary child's end)
//	inherit      stopped (a new run's fresh record)    stuck: the child's goroutine of an earlier run is
//	                                                   still stuck; unstuck then starts the slot (or drops
//	                                                   a child that was not in the spec)
//
// Readiness, cancellation and stop requests belong to one incarnation: a
// call of actor.Ready (or actor.Beat) from an earlier incarnation's leftover
// goroutine changes nothing.
//
// # Hangs
//
// A child that is alive but stuck never returns, so no exit shows it. A
// child with a Liveness proves it is alive with actor.Beat (or a probe the
// supervisor calls); one that misses its deadline is hung: the failure is
// recorded (a *HungError, with the stacks of the child's goroutines, for
// which errors.Is(err, ErrHung) holds), EventHung is emitted and logged,
// the incarnation is cancelled, and once it has returned it is restarted
// as after any failure. One that does not return within its shutdown
// timeout is stuck, and its supervisor gives up, as its restart would need
// the slot (a temporary child, never restarted, only stays stuck, and is
// removed once it returns; a child's Decider is not consulted before its
// incarnation returns, so a child with one counts as one that would be
// restarted). See Liveness.
//
// # User code
//
// Nothing a supervisor runs can hang or crash it. User code (actors,
// loggers and their cores, observers, deciders, jitter sources, the init
// hook, the methods of error values and of the context given to Run) never
// runs while a supervisor's lock is held, and never on the goroutine that
// called Run. Health, Snapshot, Children and Readiness never wait on it.
// What follows when it misbehaves:
//
//	user code            panics                      calls runtime.Goexit          blocks forever
//	actor Run            failure (*PanicError)       failure (ErrGoexit); restart  never returns: stuck at its
//	                     or crash (WithCrashOnPanic)  through the loop              shutdown timeout
//	error's Error,       text says so; the chain     failure (ErrGoexit)           its goroutine never ends:
//	Unwrap, Is           walk stops there                                          stuck at its shutdown timeout
//	decider              escalation, Reason          escalation, Reason            its goroutine never ends:
//	                     "decider-failed", with the  "decider-failed"              stuck at its shutdown timeout
//	                     panic in the error
//	jitter source        fraction 0                  escalation ("decider-failed") that child's restarts wait
//	init hook            start error with the panic  start error (ErrGoexit)       context cancelled at shutdown;
//	                                                                               abandoned after the budget (no
//	                                                                               budget: after 5s) and reported
//	                                                                               as root/(init); WithShared's
//	                                                                               newState: as root/(shared)
//	observer             logged; delivery goes on    a new goroutine takes over    queue fills, events dropped and
//	                                                                               counted; at shutdown, abandoned
//	                                                                               once it took no event for 5s (or
//	                                                                               at the budget's end), reported
//	                                                                               root/(observer N)
//	logger core          recovered; delivery goes on a new goroutine takes over    as an observer: root/(logger)
//	slog handler         recovered; delivery goes on a new goroutine takes over    as an observer: root/(slog)
//	Liveness.Probe       the child is hung           the child is hung             abandoned at its deadline (the
//	                     (*PanicError)               (ErrGoexit)                   child is hung); no new call until
//	                                                                               it returns; reported at Run's end
//	                                                                               as root/child/(probe)
//	actor.WithReady      recovered                   that goroutine ends           only that goroutine waits
//	notify of Run's ctx
//	Run's ctx: Done,     Run returns a *ConfigError  Run returns a *ConfigError    Run waits for it, having
//	Err, Value           (Run.ctx) wrapping the      (Run.ctx) wrapping ErrGoexit; started nothing
//	                     *PanicError; nothing        nothing started
//	                     started
//
// Run reads what it needs from its context once, when it begins, in a
// goroutine of its own: Done (whose channel it then receives from), Err
// (a context already done starts nothing), and Value for this module's own
// keys (the child record of a parent supervisor, the pprof labels, a
// readiness hook). It calls none of the context's methods afterwards. A
// supervisor run directly as a parent's child (its Actor is the
// *Supervisor) gets a context the parent made, and takes those from the
// parent's run instead, at no cost that grows with depth. The children's
// contexts carry the values of Run's context: what an actor looks up there
// runs on the actor's goroutine.
//
// An error's text is taken once, by the goroutine that received the error
// (a child's, for what its incarnation returned), and kept: events carry it
// in Event.ErrText, Snapshot in LastError, and the errors the supervisor
// makes (*StartError, *EscalationError) read it. The logs, Health's event
// stream and the daemon package never call the error's methods again, so an
// Error that panics, blocks or changes its answer the next time is read
// once only. The standard errors.Is and errors.As are never called on a
// child's error: the chain is walked with a cycle check and a depth limit,
// guarded against panics.
//
// Run waits for its observers and loggers to take the events queued before
// it returns, as long as each keeps taking events: one that takes no event
// for policy.DefaultShutdownTimeout is abandoned and reported, and with a
// shutdown budget (WithShutdownBudget) every wait ends with the budget.
// An init hook (WithInit) or a state maker (WithShared) still running at
// shutdown is cancelled and waited for until the budget's end, or, without
// a budget, for policy.DefaultShutdownTimeout, as a worker that never stops
// would be; then it is abandoned and reported as root/(init) or
// root/(shared).
package supervisor

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/arbor-go/arbor/policy"
)

// Supervisor supervises a list of children. Create one with New; run it
// with Run, directly or as the Actor of a parent's Child. Its methods are
// safe for concurrent use.
type Supervisor struct {
	name string
	cfg  config

	mu        sync.Mutex
	r         *run          // the run in progress, nil between runs; guarded by mu
	stuckLeft []*child      // records of ended runs' children reported stuck whose goroutines are still alive; guarded by mu
	lingering []lingerer    // other goroutines of ended runs reported stuck (probe calls, hooks); guarded by mu
	leftSubs  []*Supervisor // child supervisors of ended runs that had stuck goroutines below; guarded by mu
	readyCh   chan struct{} // closed when a run becomes ready; guarded by mu
	doneCh    chan struct{} // closed when the run in progress ends (see Done); guarded by mu

	counts Counters // running totals; guarded by mu

	subsMu sync.Mutex                      // serialises changes to subs
	subs   atomic.Pointer[[]*Subscription] // immutable slice; read without a lock
}

// New returns a supervisor named name (its path segment, and the root's
// path) configured by opts. The name follows the rules of Child.Name: not
// empty, no '/', printable. New returns a *ConfigError, or an error
// wrapping ErrDuplicateName, if the specification is invalid; nothing is
// started.
func New(name string, opts ...Option) (*Supervisor, error) {
	if err := checkName("Name", name); err != nil {
		return nil, err
	}
	cfg := defaultConfig()
	for i, o := range opts {
		if o == nil {
			return nil, &ConfigError{Field: "Option[" + strconv.Itoa(i) + "]", Value: nil, Reason: "must not be nil"}
		}
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(cfg.children))
	for i := range cfg.children {
		c := &cfg.children[i]
		if err := c.validate(cfg.auto); err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, &ConfigError{Field: "Child.Name", Value: c.Name, Reason: "is already taken", Err: ErrDuplicateName}
		}
		seen[c.Name] = true
	}
	// cfg.children is already the supervisor's own copy: WithChildren
	// appended the caller's specs to it.
	return &Supervisor{name: name, cfg: cfg}, nil
}

// Name returns the name given to New ("" for a nil or zero Supervisor).
func (s *Supervisor) Name() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Strategy returns the supervisor's restart strategy.
func (s *Supervisor) Strategy() policy.Strategy {
	if s == nil {
		return policy.OneForOne
	}
	return s.cfg.strategy
}
