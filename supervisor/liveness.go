package supervisor

// Hangs: a child's liveness deadline, its heartbeat, and the goroutine
// that checks the deadlines of a run.

import (
	"context"
	"errors"
	"math"
	"runtime/pprof"
	"slices"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
)

// Liveness is a child's liveness deadline: how the supervisor tells a child
// that is alive but stuck (a deadlock, a read with no deadline, a channel
// nobody sends on) from one that works. A child that misses its deadline is
// hung: the supervisor records the failure, with the stacks of the child's
// goroutines, then cancels the incarnation (cause ErrHung), and once the
// incarnation has returned restarts it as after any failure (see
// HungError).
//
// There are two forms. In the beat form (Probe nil), the incarnation proves
// it is alive by calling actor.Beat with its context, as often as it likes;
// it is hung when Timeout passes without a beat. In the probe form, for a
// child that cannot beat from inside (a program, a library's server), the
// supervisor calls Probe every Interval, one call at a time, each with a
// context whose deadline is Timeout from the start of that call; an error,
// or a call still running at its deadline, makes the child hung. A call that
// never returns is abandoned at its deadline (no new call starts for the
// child until it returns), and, if it has not returned when Run ends, Run
// reports it like a stuck child, as the path "root/worker/(probe)" (so do
// the runs of the supervisors above, and Health and Liveness, until it
// returns).
//
// The deadline runs from the incarnation's launch, or, for a WaitReady
// child, from its readiness (beats before then do not count). It runs only
// while the child runs: it is paused while the child starts, waits out a
// backoff, waits for its group or is being stopped, and the checks end when
// its supervisor's shutdown begins.
//
// The supervisor does not poll: one goroutine per run, started when the
// first child with a deadline starts, sleeps until the earliest deadline (or
// probe call) falls due and checks it then, so a missed deadline is detected
// when it falls due, as soon as that goroutine runs (in virtual time, under
// testing/synctest, at the deadline exactly). Children without a Liveness
// cost nothing, and a run none of whose children has one starts no such
// goroutine.
//
// A supervisor child (KindSupervisor, or an Actor that is a *Supervisor,
// whatever its Kind) cannot have a Liveness (New and Add return a
// *ConfigError): a supervisor's liveness is its children's. For the same
// reason, a tree run (with Run) inside a watched worker's incarnation does
// not beat for the worker: its children's actor.Beat reach their own
// deadlines only (the worker beats itself), as their actor.Ready is not the
// worker's readiness.
type Liveness struct {
	// Timeout is the longest the child may go without a beat (beat form),
	// and the deadline of each probe call from its start (probe form).
	// It must be positive.
	Timeout time.Duration
	// Interval is, in the probe form, how long after the start of one call
	// (or after the incarnation began to run, for the first) the next one
	// starts, if the previous one has returned; zero means Timeout. It must
	// be zero in the beat form.
	Interval time.Duration
	// Probe, when not nil, is the probe form's function. It is user code:
	// the supervisor calls it in a goroutine of its own (labelled with the
	// child's path plus "/(probe)" for pprof), never with a lock held;
	// a panic or a runtime.Goexit in it counts as its error. ctx carries the
	// values of the incarnation's context, which it ends with: a probe that
	// reads from the child's own state can find it there.
	Probe func(ctx context.Context) error
}

// validate checks l, the Liveness of the child spec c.
func (l *Liveness) validate(c *Child) error {
	_, sup := c.Actor.(*Supervisor) // a *Supervisor never beats, whatever Kind says
	switch {
	case c.isSupervisor() || sup:
		return &ConfigError{Field: c.field("Liveness"), Value: l.Timeout,
			Reason: "must be nil for a supervisor child: a supervisor's liveness is its children's"}
	case l.Timeout <= 0 || l.Timeout == policy.Infinity:
		return &ConfigError{Field: c.field("Liveness.Timeout"), Value: l.Timeout, Reason: "must be > 0 and finite"}
	case l.Interval < 0 || l.Interval == policy.Infinity:
		return &ConfigError{Field: c.field("Liveness.Interval"), Value: l.Interval, Reason: "must be >= 0 and finite"}
	case l.Interval != 0 && l.Probe == nil:
		return &ConfigError{Field: c.field("Liveness.Interval"), Value: l.Interval, Reason: "applies to a Probe only: a beating child's deadline is checked when it falls due"}
	}
	return nil
}

// interval returns how often the probe is called.
func (l *Liveness) interval() time.Duration {
	if l.Interval == 0 {
		return l.Timeout
	}
	return l.Interval
}

// ErrHung is in the chain of the error of an incarnation that missed its
// liveness deadline: errors.Is(err, ErrHung) holds for a *HungError, and
// context.Cause of the incarnation's context is ErrHung once the
// supervisor has cancelled it for that.
var ErrHung = errors.New("hung: missed its liveness deadline")

// HungError is the failure of an incarnation that missed its liveness
// deadline (see Liveness). It is the incarnation's error whatever the
// incarnation returns after the supervisor cancelled it: deciders, events,
// logs, Children and Run's error (through an escalation) see it.
// errors.Is(err, ErrHung) holds, and Unwrap reaches the probe's error, if
// there is one.
type HungError struct {
	Path    string        // the child's tree path
	Timeout time.Duration // the deadline that was missed
	// Probe is the error a probe call returned (a *PanicError for a panic),
	// or nil: for a missed beat, and for a probe call that did not return
	// within Timeout.
	Probe error
	// Stack holds the stacks of the child's goroutines (those carrying
	// its pprof path label, and its probe call's) when the hang was found,
	// as the goroutine profile prints them, capped as a stuck child's are.
	Stack string

	how       hangKind
	probeText string // Probe's text, taken by the probe's goroutine
}

type hangKind uint8

const (
	hangBeat       hangKind = iota // no beat within Timeout
	hangProbeSlow                  // a probe call did not return within Timeout
	hangProbeError                 // a probe call returned an error
)

// Error says how the deadline was missed, on one line (the stacks are in
// Stack; control characters in the probe's error's text are escaped).
func (e *HungError) Error() string {
	switch e.how {
	case hangProbeSlow:
		return "hung: liveness probe did not return within " + e.Timeout.String()
	case hangProbeError:
		return "hung: liveness probe failed: " + oneLine(e.probeText)
	}
	return "hung: no beat for " + e.Timeout.String()
}

// Is reports whether target is ErrHung.
func (e *HungError) Is(target error) bool { return target == ErrHung }

// Unwrap returns the probe's error, or nil.
func (e *HungError) Unwrap() error { return e.Probe }

// liveState is the liveness part of the record of a child with a Liveness,
// made at its first launch (in childExtra: a child without one pays
// nothing). Guarded by r.s.mu, except the heart's word.
type liveState struct {
	heart   *heart     // the current incarnation's beat cell (beat form)
	hung    *HungError // the hang recorded for incarnation hungGen, or nil
	hungGen uint64
	// The probe form.
	ictx     context.Context // the current incarnation's context: probe calls derive from it
	call     *probeCall      // the call running (perhaps for an earlier incarnation), or nil
	lastCall instant         // when the latest call of incarnation lastGen started
	lastGen  uint64
}

// heart is the word an incarnation's beats are stored in: one per
// incarnation, so that a beat from an earlier incarnation's leftover
// goroutine changes nothing. Written by actor.Beat without any lock.
//
// A beat stores the time, not a count: with a counter, the checker would
// learn only that some beat came since its previous look, and would have to
// date it either at that look (a hang found up to a whole check late) or at
// this one (a live child taken for hung). The clock read costs a few
// nanoseconds more per beat and makes every check exact.
type heart struct {
	at atomic.Int64 // 1 + the instant of the latest beat; 0: none yet
	r  *run
}

func (h *heart) beat() { h.at.Store(int64(h.r.clock()) + 1) }

// watchdog is a run's liveness checker: one goroutine for every child
// with a Liveness, made when the first of them starts. Guarded by s.mu
// where not said otherwise.
//
// It sleeps until the earliest deadline rather than polling at an
// interval: a poll every I finds a hang up to I late and wakes a run's
// checker 1/I times a second whatever the children do, where a wake-up per
// deadline costs at most one per Timeout per child (a beat moves the
// deadline, and the checker, woken at the old one, sleeps again until the
// new one) and finds every hang when it falls due. A goroutine (or a timer)
// per child was rejected: children without a Liveness must cost nothing,
// and those with one should cost a word, not a goroutine.
type watchdog struct {
	kick  chan struct{}         // one-slot signal: the schedule changed; immutable
	done  chan struct{}         // closed when the checker returns; immutable
	calls map[*probeCall]*child // probe calls running
	kids  []*child              // the run's children with a Liveness (removed ones dropped at the next check)
	timer *time.Timer           // owned by the checker's goroutine
}

// livenessCtxLocked prepares c's new incarnation, whose context so far is
// ctx, for its liveness deadline: it returns the context the incarnation
// runs with (with the beat function of its heart, in the beat form), and
// starts the run's checker if none runs. Called with s.mu held, for a child
// with a Liveness.
func (r *run) livenessCtxLocked(c *child, ctx context.Context) context.Context {
	if r.dog == nil && r.phase < phaseStopping {
		r.dog = &watchdog{kick: make(chan struct{}, 1), done: make(chan struct{}), calls: make(map[*probeCall]*child)}
		go r.watchLiveness(r.dog)
	}
	x := c.extra()
	if x.live == nil {
		x.live = new(liveState)
		if r.dog != nil {
			r.dog.kids = append(r.dog.kids, c) // checked from now on: the checker looks at these only
		}
	}
	if c.spec.Liveness.Probe != nil {
		return ctx
	}
	h := &heart{r: r}
	x.live.heart = h
	return actor.WithBeat(ctx, h.beat)
}

// kickLivenessLocked tells the checker that a child with a Liveness began
// to run. Called with s.mu held.
func (r *run) kickLivenessLocked() {
	if r.dog != nil {
		signal(r.dog.kick)
	}
}

// hungLocked returns the hang recorded for c's current incarnation, or nil.
// Called with s.mu held.
func (c *child) hungLocked() *HungError {
	if c.x == nil || c.x.live == nil || c.x.live.hungGen != c.gen {
		return nil
	}
	return c.x.live.hung
}

// hungErr returns the hang recorded for incarnation gen of c, or err if
// there is none. For a child with a Liveness only: it takes s.mu.
func (r *run) hungErr(c *child, gen uint64, err error) error {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gen == gen {
		if h := c.hungLocked(); h != nil {
			return h
		}
	}
	return err
}

// suspect is a child the checker found past its deadline, to be declared
// hung once its stacks are taken.
type suspect struct {
	c     *child
	gen   uint64
	how   hangKind
	call  *probeCall // for a probe call: the call
	err   error      // hangProbeError: the probe's error
	text  string     // its text
	stack string
}

// watchLiveness is the body of a run's checker goroutine. It sleeps until
// the earliest deadline or probe call falls due, or until kicked, checks
// the children, and returns once the run's shutdown begins. It runs no
// user code.
func (r *run) watchLiveness(w *watchdog) {
	defer close(w.done)
	// Labels of its own: it may be started on a child's goroutine (an Add
	// made there), whose path label would make it one of that child's
	// goroutines in a stuck report or a hang's stacks.
	pprof.SetGoroutineLabels(pprof.WithLabels(r.labels, pprof.Labels(pathLabel, r.path+PathSeparator+"(liveness)")))
	w.timer = time.NewTimer(time.Hour)
	defer w.timer.Stop()
	for {
		next, sus, calls := r.checkLiveness(w)
		for _, pc := range calls {
			go r.callProbe(pc)
		}
		if len(sus) > 0 {
			r.hang(sus)
			continue // the schedule changed: check again
		}
		var due <-chan time.Time
		if next >= 0 {
			w.timer.Reset(max(time.Duration(next-r.clock()), 0))
			due = w.timer.C
		}
		select {
		case <-due:
		case <-w.kick:
			w.timer.Stop()
		case <-r.quit:
			return
		}
	}
}

// checkLiveness checks every running child with a Liveness at the current
// instant. It returns the children past their deadline, the probe calls to
// start (recorded as running), and the next instant a check falls due (-1:
// none).
func (r *run) checkLiveness(w *watchdog) (next instant, sus []suspect, calls []*probeCall) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	next = -1
	due := func(at instant) {
		if next < 0 || at < next {
			next = at
		}
	}
	if r.phase >= phaseStopping {
		return -1, nil, nil
	}
	now := r.clock()
	w.kids = slices.DeleteFunc(w.kids, func(c *child) bool { return c.st == lsRemoved })
	for _, c := range w.kids {
		l := c.spec.Liveness
		if c.st != lsRunning {
			continue
		}
		lv := c.x.live
		from := c.since - 1 // when it began to run: the deadline is paused in any other state
		switch {
		case l.Probe == nil:
			if at := beatDue(lv, from, l.Timeout); now >= at {
				sus = append(sus, suspect{c: c, gen: c.gen, how: hangBeat})
			} else {
				due(at)
			}
		case lv.call != nil:
			// A call of an earlier incarnation still running counts from
			// this one's start: the deadline runs from the launch.
			if at := max(lv.call.start, from).plus(l.Timeout); now >= at {
				sus = append(sus, suspect{c: c, gen: c.gen, how: hangProbeSlow, call: lv.call})
			} else {
				due(at)
			}
		default:
			last := from
			if lv.lastGen == c.gen {
				last = lv.lastCall
			}
			if at := last.plus(l.interval()); now < at {
				due(at)
				continue
			}
			pc := &probeCall{c: c, gen: c.gen, ctx: lv.ictx, probe: l.Probe, start: now,
				deadline: r.timeAt(now).Add(l.Timeout), path: c.path + PathSeparator + "(probe)", done: make(chan struct{})}
			lv.call, lv.lastCall, lv.lastGen = pc, now, c.gen
			w.calls[pc] = c
			calls = append(calls, pc)
			due(now.plus(l.Timeout))
		}
	}
	return next, sus, calls
}

// beatDue returns when the beat deadline of a child running since from
// falls due.
func beatDue(lv *liveState, from instant, timeout time.Duration) instant {
	last := instant(lv.heart.at.Load() - 1)
	return max(last, from).plus(timeout)
}

// plus returns the instant d (>= 0) after i, or the last instant there is
// when that is later: a deadline is a Duration that may be near the largest
// one (any finite Timeout or Interval is accepted), and a sum that wrapped
// round would be a deadline already past.
func (i instant) plus(d time.Duration) instant {
	if j := i + instant(d); j >= i {
		return j
	}
	return instant(math.MaxInt64)
}

// hang declares the suspects hung, those still past their deadline once
// their stacks are taken: it records each failure, emits its event, arms
// its shutdown timeout, and then cancels the incarnations, cause ErrHung.
// The stacks are taken first, outside the lock, from one goroutine
// profile; a suspect that beat meanwhile, returned or was stopped is left
// alone.
func (r *run) hang(sus []suspect) {
	report := make([]StuckChild, 0, 2*len(sus))
	for _, x := range sus {
		report = append(report, StuckChild{Path: x.c.path}, StuckChild{Path: x.c.path + PathSeparator + "(probe)"})
	}
	fillStacks(report)
	for i := range sus {
		sus[i].stack = report[2*i].Stack + report[2*i+1].Stack
	}
	s := r.s
	var cancels []context.CancelCauseFunc
	s.mu.Lock()
	now := r.clock()
	for _, x := range sus {
		c := x.c
		if c.gen != x.gen || c.st != lsRunning || r.phase >= phaseStopping {
			continue
		}
		lv, l := c.x.live, c.spec.Liveness
		switch x.how {
		case hangBeat:
			if now < beatDue(lv, c.since-1, l.Timeout) {
				continue // it beat meanwhile
			}
		case hangProbeSlow:
			if x.call != nil && lv.call != x.call {
				continue // the call returned meanwhile (and reported itself if late)
			}
		}
		h := &HungError{Path: c.path, Timeout: l.Timeout, Probe: x.err, Stack: x.stack, how: x.how, probeText: x.text}
		text := h.Error()
		c.moveLocked(evHang, lsHung, now)
		lv.hung, lv.hungGen = h, c.gen
		cx := c.extra()
		cx.lastErr, cx.lastText = h, text
		r.emitErrLocked(EventHung, c, h, text, now, 0, 0)
		r.armHungTimeoutLocked(c)
		cancels = append(cancels, c.cancel)
	}
	s.mu.Unlock()
	for _, cancel := range cancels {
		cancel(ErrHung)
	}
}

// armHungTimeoutLocked bounds the wait for c's hung incarnation to return
// by its shutdown timeout, as a stop would: past it, the child is stuck.
// The timer is the record's start timer (a hung child is past its start),
// so that a stop that takes the hung child over disarms it. Called with
// s.mu held.
func (r *run) armHungTimeoutLocked(c *child) {
	d := c.shutdownTimeout()
	if d == policy.Infinity {
		return
	}
	gen := c.gen
	c.stopTimerLocked()
	c.extra().startTimer = time.AfterFunc(d, func() { r.hungTimedOut(c, gen, d) })
}

// hungTimedOut is the end of the shutdown timeout of incarnation gen of c,
// hung: if it has not returned, it is stuck, as a child that does not stop
// when asked; its restart would need its slot, so the supervisor escalates
// (reason "stuck"), blaming the hang. A temporary child is never restarted:
// no restart needs its slot, so it only stays stuck, and is removed when its
// goroutine returns, as after any failure of a temporary child (unless it
// is significant: its end would end the supervisor, which then gives up).
func (r *run) hungTimedOut(c *child, gen uint64, waited time.Duration) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gen != gen || c.st != lsHung {
		return
	}
	h := c.hungLocked()
	c.then = thenStopped
	if c.spec.Restart == policy.Temporary && !c.spec.Significant {
		c.then = thenRemoved
		r.markStuckLocked(c, waited)
		return
	}
	r.markStuckLocked(c, waited)
	if r.phase < phaseStopping {
		r.queueLocked(request{kind: reqEscalate, c: c, err: h, info: errInfo{text: h.Error()},
			at: r.clock(), reason: "stuck", blocked: c.path})
	}
}
