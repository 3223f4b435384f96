package supervisor

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"
)

type phase uint8

const (
	phaseStarting phase = iota
	phaseRunning
	phaseStopping
	phaseDone
)

// run is the state of one call to Run. Fields are guarded by s.mu unless
// noted; opMu serialises the operations that stop or start children
// (dynamic calls, group restarts, escalation and shutdown).
type run struct {
	s           *Supervisor
	path        string
	runCtx      context.Context
	scope       context.Context
	goneSig     chan struct{} // one-slot signal: the last watched child's goroutine returned
	goneLeft    int           // watched children whose goroutines have not returned
	cancelScope context.CancelCauseFunc
	g           errgroup.Group
	log         *zap.Logger
	logOn       bool // log is not a no-op
	hub         *hub
	ownHub      bool
	parent      *child
	start       time.Time // when the run began
	jitter      func() float64
	quit        chan struct{} // closed when shutdown begins
	wake        chan struct{} // one-slot signal: pending has work
	kick        chan struct{} // one-slot signal: end a group restart's delay
	urgent      chan struct{} // one-slot signal: an escalation or auto-shutdown is queued
	delayed     *child        // the failed child whose group waits out its delay

	opMu  sync.Mutex
	timer *time.Timer // for stop timeouts; guarded by opMu

	phase      phase
	children   []*child
	byName     map[string]*child
	window     *policy.Window
	seq        uint64
	pending    []request
	ready      bool
	result     error        // escalation, once decided
	stuck      []StuckChild // children of this supervisor that did not stop
	stuckBelow []StuckChild // reported by child supervisors
	stuckLive  int          // stuck children whose goroutines have not returned
}

type reqKind uint8

const (
	reqRestart      reqKind = iota // restart c (strategy, intensity) via the loop
	reqEscalate                    // give up because of c
	reqAutoShutdown                // a significant child ended
)

type request struct {
	kind   reqKind
	c      *child
	gen    uint64
	err    error
	at     time.Time
	reason string
}

// Run runs the supervisor until ctx is done, its restart intensity is
// exceeded, a decider escalates, or its significant children end. It
// starts the children in order, waiting for those that must become ready,
// and returns only after every goroutine it started has returned, except
// children it reports as stuck.
//
// Run returns nil after a clean shutdown (ctx cancelled, or auto-shutdown),
// an *EscalationError when it gave up, a *StartError when a child failed to
// start, and a *StuckError (joined to any other error) when children did
// not stop in time. It returns ErrAlreadyRunning at once while another Run
// is in progress, and nil at once, starting nothing, if ctx is already done.
//
// A Supervisor can be run again after Run returned: each run starts afresh
// from the specification given to New, with an empty intensity window;
// children added with Add during a run are not carried over.
func (s *Supervisor) Run(ctx context.Context) error {
	if ctx == nil {
		return &ConfigError{Field: "Run.ctx", Value: nil, Reason: "must not be nil"}
	}
	if p := childOf(ctx); p != nil {
		// Run as a child: let the parent know, for its kind and snapshots.
		p.sub.Store(s)
	}
	s.mu.Lock()
	if s.r != nil {
		s.mu.Unlock()
		return ErrAlreadyRunning
	}
	if s.stuckAlive > 0 {
		err := &StuckError{Supervisor: s.name, Err: ErrStillStuck}
		for _, p := range s.stuckPaths {
			err.Stuck = append(err.Stuck, StuckChild{Path: p})
		}
		s.mu.Unlock()
		return err
	}
	if ctx.Err() != nil {
		s.mu.Unlock()
		return nil
	}
	r := s.newRun(ctx)
	s.r = r
	s.mu.Unlock()

	if r.ownHub {
		r.hub.start()
	}
	err := r.main()
	r.cancelScope(ErrShutdown)

	s.mu.Lock()
	r.phase = phaseDone
	live := r.stuckLive
	if live > 0 {
		s.stuckAlive += live
		s.stuckPaths = s.stuckPaths[:0]
		for _, c := range r.children {
			if c.stuck {
				s.stuckPaths = append(s.stuckPaths, c.path)
			}
		}
	}
	s.r = nil
	s.mu.Unlock()
	if live == 0 {
		r.g.Wait()
	}
	if r.ownHub {
		r.hub.close()
	}
	return err
}

func (s *Supervisor) newRun(ctx context.Context) *run {
	r := &run{s: s, runCtx: ctx, path: s.name, start: time.Now(), quit: make(chan struct{}),
		wake: make(chan struct{}, 1), goneSig: make(chan struct{}, 1), kick: make(chan struct{}, 1), urgent: make(chan struct{}, 1)}
	r.parent = childOf(ctx)
	var parentRun *run
	if r.parent != nil {
		parentRun = r.parent.r
		r.path = r.parent.path
	}
	switch {
	case s.cfg.logger != nil:
		r.log = s.cfg.logger
	case parentRun != nil:
		r.log = parentRun.log
	default:
		r.log = zap.NewNop()
	}
	r.log = r.log.WithOptions(zap.WithCaller(false), zap.AddStacktrace(zapcore.InvalidLevel))
	r.logOn = r.log.Core().Enabled(zapcore.FatalLevel)
	switch {
	case len(s.cfg.observers) > 0:
		r.hub = newHub(s.cfg.observers, s.cfg.observerBuffer, r.log)
		r.ownHub = true
	case parentRun != nil:
		r.hub = parentRun.hub
	}
	r.jitter = s.cfg.jitter
	if r.jitter == nil {
		r.jitter = rand.Float64
	}
	// The scope hides the readiness hook of Run's own context: a child's
	// actor.Ready must not count as the supervisor's.
	r.scope, r.cancelScope = context.WithCancelCause(actor.WithReady(context.WithoutCancel(ctx), nil))
	r.window = policy.NewWindow(s.cfg.intensity)
	r.byName = make(map[string]*child, len(s.cfg.children))
	r.children = make([]*child, 0, len(s.cfg.children))
	for i := range s.cfg.children {
		spec := &s.cfg.children[i]
		c := newChild(r, spec)
		r.children = append(r.children, c)
		r.byName[spec.Name] = c
	}
	return r
}

// main starts the children, runs the loop and shuts down; it returns Run's
// error.
func (r *run) main() error {
	r.opMu.Lock()
	for _, c := range r.startOrder() {
		err := r.startChild(c)
		if err == nil {
			continue
		}
		r.opMu.Unlock()
		if errors.Is(err, errAborted) {
			return r.shutdown(ErrShutdown, nil)
		}
		return r.shutdown(ErrShutdown, err)
	}
	r.opMu.Unlock()
	if init := r.s.cfg.init; init != nil {
		if err := callInit(init, r.scope, r.s); err != nil {
			return r.shutdown(ErrShutdown, &StartError{Supervisor: r.path, Child: r.path + PathSeparator + "init", Err: err})
		}
	}
	r.s.mu.Lock()
	if r.phase == phaseStarting {
		r.phase = phaseRunning
		r.ready = true
		r.s.notifyReadyLocked()
	}
	r.s.mu.Unlock()
	actor.Ready(r.runCtx)
	return r.loop()
}

// mono returns now as nanoseconds since the run began (monotonic).
func (r *run) mono(now time.Time) int64 { return int64(now.Sub(r.start)) }

func (r *run) startOrder() []*child {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return append([]*child(nil), r.children...)
}

func callInit(init func(context.Context, *Supervisor) error, ctx context.Context, s *Supervisor) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	return init(ctx, s)
}

// loop processes requests until the run ends, and returns Run's error.
//
// Requests are handled one at a time, in the order they were queued, except
// that an escalation or auto-shutdown goes before any restart still waiting:
// the supervisor fails (or stops) now, not after more restarts. Once Run's
// context is done, nothing queued is handled: the supervisor shuts down.
func (r *run) loop() error {
	for {
		if r.runCtx.Err() != nil {
			return r.shutdown(ErrShutdown, nil)
		}
		q, ok := r.next()
		if !ok {
			select {
			case <-r.runCtx.Done():
			case <-r.wake:
			}
			continue
		}
		if done, err := r.handle(q); done {
			return err
		}
	}
}

// next takes the request to handle next: the first urgent one if any, else
// the oldest.
func (r *run) next() (request, bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if len(r.pending) == 0 {
		return request{}, false
	}
	i := 0
	for j, q := range r.pending {
		if q.kind != reqRestart {
			i = j
			break
		}
	}
	q := r.pending[i]
	r.pending = append(r.pending[:i], r.pending[i+1:]...)
	return q, true
}

// queue hands a request to the loop. Called with s.mu held.
func (r *run) queue(q request) {
	r.pending = append(r.pending, q)
	signal(r.wake)
	if q.kind != reqRestart {
		signal(r.urgent)
	}
}

// signal posts to a one-slot channel without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// errAborted reports that a start was interrupted by shutdown.
var errAborted = errors.New("start aborted by shutdown")

// childAt returns c's index in start order, or -1. Called with s.mu held.
func (r *run) indexOf(c *child) int {
	for i, x := range r.children {
		if x == c {
			return i
		}
	}
	return -1
}

// removeChild drops c's record. Called with s.mu held.
func (r *run) removeChild(c *child) {
	if i := r.indexOf(c); i >= 0 {
		r.children = append(r.children[:i], r.children[i+1:]...)
	}
	if r.byName[c.spec.Name] == c {
		delete(r.byName, c.spec.Name)
	}
}
