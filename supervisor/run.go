package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"go.uber.org/zap"
)

type phase uint8

const (
	phaseStarting phase = iota
	phaseRunning
	phaseStopping
	phaseDone
)

// run is the state of one call to Run.
//
// Locks: s.mu guards the fields marked so and every child record's mutable
// fields; it is held only for short sections that never call user code
// (loggers, observers, deciders, jitter sources, hooks, the methods of
// error values) and never block. The operations token (ops) serialises
// what starts or stops children: the initial start, group restarts, Add,
// Remove, Restart and shutdown. Order: the token before s.mu.
type run struct {
	s           *Supervisor             // immutable
	path        string                  // immutable
	paths       *pathBuf                // a buffer whose bytes begin with path, or nil (see childPath); immutable
	runCtx      context.Context         // Run's context, user code: see ctxView; immutable
	done        <-chan struct{}         // runCtx.Done(), read once (see readContext); immutable
	direct      bool                    // runCtx is parent's incarnation context (runIn); immutable
	waiting     bool                    // a user's readiness hook waits on runCtx; immutable
	scope       context.Context         // the children's scope; immutable
	cancelScope context.CancelCauseFunc // immutable
	parent      *child                  // the record whose context Run got, or nil; immutable
	adopted     bool                    // parent is a declared supervisor child: it adopts this tree; immutable
	start       time.Time               // when the run began; immutable
	log         *zap.Logger             // base of Logger(ctx); immutable
	slog        *slog.Logger            // base of SlogLogger(ctx), or nil; immutable
	sinks       []*sink                 // where events go (own and inherited); immutable
	own         []*sink                 // the sinks this run starts and closes; immutable
	quit        chan struct{}           // closed when shutdown begins
	ops         chan struct{}           // the operations token: full while held
	wake        chan struct{}           // one-slot signal: pending has work
	kick        chan struct{}           // one-slot signal: end a group restart's delay
	urgent      chan struct{}           // one-slot signal: an escalation or auto-shutdown is queued
	goneSig     chan struct{}           // one-slot signal: the last watched goroutine returned
	// wg joins every child goroutine of the run. Not an errgroup.Group:
	// the policy, not the first error, decides what a failure cancels, so
	// only errgroup's Wait would be used, and its Go wraps each goroutine in
	// one more closure, an allocation per child that an idle tree keeps
	// (measured: about 30 bytes of its ~2.8 KiB).
	wg sync.WaitGroup

	labels context.Context          // the pprof labels of Run's context, on a context of their own; immutable
	subs   atomic.Pointer[subsView] // the subscriptions at and above this run (see subscriptions)
	// values is where the scope's values come from: Run's context without
	// its cancellation, or, for a supervisor run directly as its parent's
	// child (runIn), the parent run's values, so that a lookup never walks
	// through the levels between (only the supervisor's own keys live
	// there, and each level answers them itself). Immutable.
	values context.Context

	jitterMu sync.Mutex     // serialises calls to jitter
	jitter   func() float64 // user code: never called with s.mu held

	shared    sharedState       // the group's shared state (WithShared); atomic
	abandoned []<-chan struct{} // hook calls left running by shutdown; owned by Run's goroutine

	timer *time.Timer // for stop timeouts; guarded by the operations token
	init  *initCall   // the init hook's call, if one ran; guarded by the operations token

	// Guarded by s.mu.
	phase       phase
	first, last *child // children in start order
	count       int    // children in the list
	names       names  // the children by name
	window      *policy.Window
	lastAdmit   instant // the latest time given to window: admissions never go back
	seq         uint64
	wallOf      instant   // the reading of r.clock that wall was read for
	wall        time.Time // the wall-clock time read for wallOf (zero: none yet)
	pending     []request
	ready       bool
	delayed     *child    // the failed child whose group waits out its delay
	group       *child    // the failed child whose group restart is in progress (see markGroupLocked)
	deadline    time.Time // the shutdown budget's end, once shutdown began (zero: none)
	goneLeft    int       // watched children whose goroutines have not returned
	stuckLive   int       // stuck children whose goroutines have not returned
	stuckList   []*child  // children reported stuck, in the order they were
	inherited   []*child  // slots made waiting for a stuck goroutine of an earlier run (inherit.go)
	dog         *watchdog // the liveness checker, once a child with a Liveness started (liveness.go)
}

// Run runs the supervisor until ctx is done, its restart intensity is
// exceeded, a decider escalates, or its significant children end. It
// starts the children in order, waiting for those that must become ready,
// and returns only after every goroutine it started has returned, except
// children it reports as stuck (and an init hook or WithShared state maker
// that did not return within the shutdown budget, or without one within
// policy.DefaultShutdownTimeout, reported the same way).
//
// Run also waits for its loggers and observers to take the events queued
// so far, so that once it returned every event was delivered, however slow
// a logger or observer is, as long as it keeps taking events. One that
// takes no event for policy.DefaultShutdownTimeout (a worker's default
// shutdown timeout) while Run waits for it is abandoned and reported like
// a stuck child, as root/(logger), root/(slog) or root/(observer N); with a
// shutdown budget, so is every one still busy when the budget is spent.
//
// Run returns nil after a clean shutdown (ctx cancelled, or auto-shutdown),
// an *EscalationError when it gave up, a *StartError when a child failed to
// start, and a *StuckError (joined to any other error) when children did
// not stop in time. It returns ErrAlreadyRunning at once while another Run
// is in progress, nil at once, starting nothing, if ctx is already done,
// and ErrNotConstructed for a nil or zero Supervisor.
//
// No user code runs on the goroutine that calls Run: the init hook runs in
// a goroutine of its own, events are logged and observed by the sinks'
// goroutines, and a child's error is examined by that child's goroutine.
// The methods of ctx are user code too: Run calls Done, Err and Value (for
// this module's keys) once, when it begins, in a goroutine of its own and
// without holding its lock, then only receives from the Done channel; a
// readiness hook of ctx (actor.WithReady) is called in a goroutine of its
// own. If one of those methods panics or calls runtime.Goexit, Run returns
// a *ConfigError for Run.ctx wrapping the *PanicError (or ErrGoexit),
// having started nothing. When ctx is the context a parent supervisor gave
// to a child whose Actor is s itself, Run takes what it needs from the
// parent's run: the parent made that context, and nothing of it is user
// code.
//
// A Supervisor can be run again after Run returned: each run starts afresh
// from the specification given to New, with an empty intensity window;
// children added with Add during a run are not carried over. A run again
// while a child's goroutine of an earlier run is still stuck starts
// normally: that child's slot is stuck (Health and Children say so) and
// starts once the old goroutine returns, never two incarnations at once;
// a stuck child that is not in the specification keeps its name reserved
// until then, and is then dropped. A stuck goroutine still running when the
// new run stops is reported in its *StuckError again.
//
// A tree run with the context of a child that is a declared supervisor
// (its Actor is a *Supervisor, or its Kind is KindSupervisor) is adopted by
// that child: it shows in the parent's Snapshot and Health, and its
// readiness is the child's. A tree run inside a worker's incarnation is
// that worker's own business: it inherits the path prefix, logger and
// observers, but is not adopted, and its readiness does not count as the
// worker's (the worker calls actor.Ready itself).
func (s *Supervisor) Run(ctx context.Context) error { return s.runIn(ctx, nil) }

// runIn is Run. in, when not nil, is the record of the child that runs s
// as its Actor (a *Supervisor given directly), and ctx is the context of
// in's incarnation, which the supervisor made itself: the run takes its
// parent, values and pprof labels from in's run instead of looking them up
// through ctx, a walk through every level above it (see run.values).
func (s *Supervisor) runIn(ctx context.Context, in *child) error {
	if !s.made() {
		return ErrNotConstructed
	}
	if ctx == nil {
		return &ConfigError{Field: "Run.ctx", Value: nil, Reason: "must not be nil"}
	}
	var view ctxView
	if in != nil {
		view = viewOfIncarnation(ctx, in)
	} else {
		if s.running() {
			return ErrAlreadyRunning // at once, before the context is read
		}
		var err error
		if view, err = readContext(ctx); err != nil {
			return err
		}
	}
	if view.over {
		return nil
	}
	s.mu.Lock()
	if s.r != nil {
		s.mu.Unlock()
		return ErrAlreadyRunning
	}
	r := s.newRun(ctx, view)
	r.inheritLocked()   // slots for the goroutines of earlier runs still stuck
	r.ops <- struct{}{} // the initial start holds the token: an Add waits for it
	s.r = r
	s.mu.Unlock()
	if testHookRunPublished != nil {
		testHookRunPublished(s)
	}
	if r.adopted {
		ps := r.parent.r.s
		ps.mu.Lock()
		r.parent.extra().sub = s
		ps.mu.Unlock()
	}
	for _, k := range r.own {
		k.start()
	}
	result := r.main()
	r.cancelScope(ErrShutdown)
	s.mu.Lock()
	dog := r.dog // none is made once the shutdown began: main returned after it
	s.mu.Unlock()
	if dog != nil {
		<-dog.done // it ends when the shutdown begins, and runs no user code
	}
	stuck, below := r.collectStuck()

	s.mu.Lock()
	r.phase = phaseDone
	live := r.stuckLive
	for _, c := range r.stuckList {
		if c.st == lsStuck {
			s.stuckLeft = append(s.stuckLeft, c)
		}
	}
	s.leftSubs = below
	s.r = nil
	s.notifyDoneLocked()
	s.mu.Unlock()
	if live == 0 && !r.init.left() {
		r.wg.Wait()
	}
	s.mu.Lock()
	deadline := r.deadline
	s.mu.Unlock()
	hooks := r.hooksLeft(deadline)
	probes, calls := r.probesLeft(deadline)
	r.lingerOn(hooks, probes, calls)
	stuck = append(append(stuck, hooks...), probes...)
	stuck = append(stuck, r.closeSinks()...)
	return joinStuck(r.path, result, stuck)
}

// outerLabels returns a context that holds only the pprof labels of ctx
// (other than a supervisor's path label), so that a child's goroutine labels
// are made from it at once: looking them up through ctx goes up every
// level of the tree, once per child goroutine.
func outerLabels(ctx context.Context) context.Context {
	var kv []string
	pprof.ForLabels(ctx, func(k, v string) bool {
		if k != pathLabel {
			kv = append(kv, k, v)
		}
		return true
	})
	if len(kv) == 0 {
		return context.Background()
	}
	return pprof.WithLabels(context.Background(), pprof.Labels(kv...))
}

// testHookRunPublished, set only by tests, runs once a run is visible to
// Add, Remove and Restart and before its initial start: the moment where
// an operation could once overtake the start (see export_test.go).
var testHookRunPublished func(*Supervisor)

// made reports whether s was made by New.
func (s *Supervisor) made() bool { return s != nil && s.name != "" }

// running reports whether a run is in progress.
func (s *Supervisor) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r != nil
}

// newRun makes the run of ctx, whose view was read already: it calls none
// of ctx's methods (it is called with s.mu held).
func (s *Supervisor) newRun(ctx context.Context, view ctxView) *run {
	r := &run{s: s, runCtx: ctx, done: view.done, direct: view.direct, waiting: view.waiting,
		path: s.name, start: time.Now(), quit: make(chan struct{}),
		ops: make(chan struct{}, 1), wake: make(chan struct{}, 1), goneSig: make(chan struct{}, 1),
		kick: make(chan struct{}, 1), urgent: make(chan struct{}, 1)}
	r.parent = view.parent
	var parentRun *run
	if r.parent != nil {
		parentRun = r.parent.r
		r.path = r.parent.path
		if r.parent.isSup {
			r.paths = r.parent.x.paths
		}
		r.adopted = r.parent.isSup
	}
	r.log = zap.NewNop()
	switch {
	case s.cfg.logger != nil:
		r.log = s.cfg.logger
		k := newLogSink(r.path, s.cfg.logger, s.cfg.observerBuffer)
		r.own = append(r.own, k)
		r.sinks = append(r.sinks, k)
	case parentRun != nil:
		r.log = parentRun.log
		r.sinks = append(r.sinks, parentRun.logSinks()...)
	}
	r.addSlog(parentRun)
	switch {
	case len(s.cfg.observers) > 0:
		for i, o := range s.cfg.observers {
			k := newObserverSink(r.path, i, o, s.cfg.observerBuffer, r.sinks)
			r.own = append(r.own, k)
			r.sinks = append(r.sinks, k)
		}
	case parentRun != nil:
		r.sinks = append(r.sinks, parentRun.observerSinks()...)
	}
	r.jitter = s.cfg.jitter
	if r.jitter == nil {
		r.jitter = rand.Float64
	}
	// The scope hides the readiness hook of Run's own context: a child's
	// actor.Ready must not count as the supervisor's. It hides the beat of
	// Run's own context too: in a tree run inside a watched worker's
	// incarnation, a child's actor.Beat must not count as that worker's
	// (a child with a Liveness of its own beats into its own deadline). It listens to its
	// children's actor.SetStatus (status.go), which hides the parent's too.
	// Made without calling ctx's methods: WithoutCancel and the values
	// above it never call the Done of the context they wrap.
	if view.direct {
		r.values = view.parent.r.values
	} else {
		r.values = context.WithoutCancel(ctx)
	}
	r.labels = view.labels
	r.scope, r.cancelScope = context.WithCancelCause(actor.WithStatus(
		actor.WithReady(actor.WithBeat(r.values, nil), nil), r.childStatus))
	r.window = policy.NewWindow(s.cfg.intensity)
	r.names = newNames(len(s.cfg.children))
	for i := range s.cfg.children {
		r.linkLocked(newChild(r, &s.cfg.children[i]))
	}
	return r
}

// main starts the children, runs the init hook and the loop, and shuts
// down; it returns Run's error. The operations token is held on entry.
func (r *run) main() error {
	if text, err := r.renewSharedText(); err != nil {
		r.releaseOps()
		if err == errAborted {
			return r.shutdown(ErrShutdown, nil)
		}
		return r.shutdown(ErrShutdown, newStartError(r.path, r.path+PathSeparator+"(shared)", err, text))
	}
	for _, c := range r.startOrder() {
		err := r.startChild(c)
		if err == nil {
			continue
		}
		r.releaseOps()
		if err == errAborted { // never wrapped; errors.Is would call the child's error's methods here
			return r.shutdown(ErrShutdown, nil)
		}
		return r.shutdown(ErrShutdown, err)
	}
	r.releaseOps()
	if err := r.runInit(); err != nil {
		return r.shutdown(ErrShutdown, err)
	}
	s := r.s
	s.mu.Lock()
	if r.phase == phaseStarting {
		r.phase = phaseRunning
		r.ready = true
		s.notifyReadyLocked()
	}
	s.mu.Unlock()
	r.signalReady()
	return r.loop()
}

// signalReady tells whoever waits on Run's context that the tree is ready.
// When the context is the incarnation context of the parent's child that
// runs the supervisor directly, the hook and its lookup are the
// supervisor's own code. Otherwise finding the hook calls the context's
// Value, and the hook may be a user's actor.WithReady: user code, called in
// a goroutine of its own, guarded, never on Run's.
func (r *run) signalReady() {
	switch {
	case r.direct:
		actor.Ready(r.runCtx)
	case r.adopted || (r.parent == nil && r.waiting):
		go func() {
			defer func() { _ = recover() }()
			actor.Ready(r.runCtx)
		}()
	}
}

// instant is a reading of the run's clock: the time since the run began,
// in nanoseconds, read from the monotonic clock. The times the supervisor
// keeps (a state's since, intensity windows, backoff resets, deadlines) are
// instants: one clock read per transition, where time.Now costs two (wall
// and monotonic) and a time.Time more arithmetic; on a restart that nobody
// observes that is a tenth of its cost. As a time.Time (timeAt), an instant
// reads as the start's wall-clock time plus the elapsed time, which drifts
// from the system's when its wall clock is stepped or the machine was
// suspended; an event's Time, which users read as the wall-clock time, takes
// its wall-clock reading from the wall clock and its monotonic reading from
// the instant (wallLocked).
type instant int64

// clock reads the run's clock.
func (r *run) clock() instant { return instant(time.Since(r.start)) }

// timeAt returns the instant i as a time.Time (monotonic reading
// included, so it compares exactly with the instants it came from).
func (r *run) timeAt(i instant) time.Time { return r.start.Add(time.Duration(i)) }

// wallLocked returns the time of the transition made at now, for its
// events: the wall clock is read once per transition, however many events
// report it, and taken back to now. The event is built later than now (by
// as little as a few calls, or by as long as the goroutine holding the lock
// was descheduled or stopped by the garbage collector meanwhile: tens of
// milliseconds on a loaded machine), and an event's Time is when the
// transition happened: its monotonic reading is now exactly (so that an
// observer measures the intervals the intensity window and the backoff
// measured), its wall-clock reading the wall clock's at now. Called with
// s.mu held.
func (r *run) wallLocked(now instant) time.Time {
	if now != r.wallOf || r.wall.IsZero() {
		w := time.Now()
		r.wallOf, r.wall = now, w.Add(time.Duration(now)-w.Sub(r.start))
	}
	return r.wall
}

// at returns the time of an instant stored plus one (the form of
// child.since), or the zero time for 0.
func (r *run) at(since1 instant) time.Time {
	if since1 == 0 {
		return time.Time{}
	}
	return r.timeAt(since1 - 1)
}

// startOrder returns the children in start order.
func (r *run) startOrder() []*child {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.orderLocked()
}

// orderLocked returns the children in start order. Called with s.mu held.
func (r *run) orderLocked() []*child {
	out := make([]*child, 0, r.count)
	for c := r.first; c != nil; c = c.next {
		out = append(out, c)
	}
	return out
}

// linkLocked appends c to the start order. Called with s.mu held (or
// before the run is published).
func (r *run) linkLocked(c *child) {
	c.prev = r.last
	if r.last != nil {
		r.last.next = c
	} else {
		r.first = c
	}
	r.last = c
	r.count++
	r.names.put(c)
}

// unlinkLocked drops c from the children, in O(1). Called with s.mu held.
func (r *run) unlinkLocked(c *child) {
	if !r.names.remove(c) {
		return // already unlinked
	}
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		r.first = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		r.last = c.prev
	}
	c.prev, c.next = nil, nil
	r.count--
}

// signal posts to a one-slot channel without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// errAborted reports that a start was interrupted by shutdown. It is
// returned as it is, never wrapped, so that it is recognised by ==: a start
// failure's error is the child's, whose methods (user code) must not run on
// Run's goroutine.
var errAborted = errors.New("start aborted by shutdown")
