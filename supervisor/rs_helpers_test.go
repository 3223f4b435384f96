package supervisor_test

// Helpers of the restart-semantics tests (strategy, restart, intensity,
// backoff, failure and escalation). Every name starts with "rs" so that it
// cannot clash with the helpers of the other test files of the package.

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

var (
	errRsBoom  = errors.New("boom")
	errRsOther = errors.New("other failure")
)

// rsLog is an ordered, thread-safe record of what rsActors did (a
// supervisortest.Log, with the short names these tests use).
type rsLog struct{ log supervisortest.Log }

func (l *rsLog) add(format string, args ...any) { l.log.Addf(format, args...) }

// all returns a copy of every line.
func (l *rsLog) all() []string { return l.log.Entries() }

// from returns the lines from index i on.
func (l *rsLog) from(i int) []string { return l.log.From(i) }

func (l *rsLog) len() int { return l.log.Len() }

// rsActor is a controllable actor. Incarnation n logs "start NAME#n", runs
// onStart if set (which may end the incarnation at once), calls actor.Ready
// if ready is set, then waits for its context ("stop NAME#n") or for a
// function sent with do ("fail NAME#n" if it returns an error, "exit NAME#n"
// if nil). It records each incarnation's context and start time, the cause
// of the previous incarnation's context when the next one starts, the
// cause seen by each stopped incarnation, and how many incarnations ran at
// once at most. A stopped incarnation takes stopDelay (virtual time) to
// return, and returns stopErr if set, else ctx.Err().
type rsActor struct {
	name      string
	log       *rsLog
	ready     bool
	stopDelay time.Duration
	stopErr   error
	onStart   func(ctx context.Context, n int) (err error, done bool)
	ctl       chan func(ctx context.Context) error

	mu         sync.Mutex
	ctxs       []context.Context
	starts     []time.Time
	prevCauses []error // prevCauses[i]: cause of incarnation i+1's ctx when i+2 started
	stopCauses map[int]error
	live       atomic.Int32
	maxLive    atomic.Int32
}

func rsNewActor(log *rsLog, name string) *rsActor {
	return &rsActor{name: name, log: log, ctl: make(chan func(context.Context) error), stopCauses: map[int]error{}}
}

// Run implements actor.Actor.
func (a *rsActor) Run(ctx context.Context) error {
	a.mu.Lock()
	if k := len(a.ctxs); k > 0 {
		a.prevCauses = append(a.prevCauses, context.Cause(a.ctxs[k-1]))
	}
	a.ctxs = append(a.ctxs, ctx)
	a.starts = append(a.starts, time.Now())
	n := len(a.ctxs)
	a.mu.Unlock()
	live := a.live.Add(1)
	for {
		m := a.maxLive.Load()
		if live <= m || a.maxLive.CompareAndSwap(m, live) {
			break
		}
	}
	defer a.live.Add(-1)
	a.log.add("start %s#%d", a.name, n)
	if a.onStart != nil {
		if err, done := a.onStart(ctx, n); done {
			a.logEnd(n, err)
			return err
		}
	}
	if a.ready {
		actor.Ready(ctx)
	}
	select {
	case <-ctx.Done():
		a.mu.Lock()
		a.stopCauses[n] = context.Cause(ctx)
		a.mu.Unlock()
		if a.stopDelay > 0 {
			time.Sleep(a.stopDelay)
		}
		a.log.add("stop %s#%d", a.name, n)
		if a.stopErr != nil {
			return a.stopErr
		}
		return ctx.Err()
	case f := <-a.ctl:
		err := f(ctx)
		a.logEnd(n, err)
		return err
	}
}

func (a *rsActor) logEnd(n int, err error) {
	if err != nil {
		a.log.add("fail %s#%d", a.name, n)
	} else {
		a.log.add("exit %s#%d", a.name, n)
	}
}

// do makes the running incarnation call f and return its result. It blocks
// until an incarnation takes f.
func (a *rsActor) do(f func(ctx context.Context) error) { a.ctl <- f }

// fail makes the running incarnation return err, then waits until the
// bubble settles.
func (a *rsActor) fail(err error) {
	a.do(func(context.Context) error { return err })
	synctest.Wait()
}

func (a *rsActor) incarnations() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.ctxs)
}

func (a *rsActor) ctx(n int) context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ctxs[n-1]
}

func (a *rsActor) startTimes() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.starts)
}

func (a *rsActor) stopCause(n int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopCauses[n]
}

func (a *rsActor) previousCauses() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.prevCauses)
}

// rsFailAtOnce is an onStart that fails every incarnation at once with err.
func rsFailAtOnce(err error) func(context.Context, int) (error, bool) {
	return func(context.Context, int) (error, bool) { return err, true }
}

// rsErrs is a mutex-guarded list of errors, for deciders to record what they
// were asked about.
type rsErrs struct {
	mu   sync.Mutex
	errs []error
}

func (e *rsErrs) add(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *rsErrs) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.errs)
}

// rsRecorder is a supervisortest.Recorder that also finds events by child
// name.
type rsRecorder struct{ supervisortest.Recorder }

// of returns the events of the given kind, for child name if name is not
// empty, in order.
func (r *rsRecorder) of(kind supervisor.EventKind, name string) []supervisor.Event {
	return r.Where(func(e supervisor.Event) bool { return e.Kind == kind && (name == "" || e.Child == name) })
}

func (r *rsRecorder) count(kind supervisor.EventKind, name string) int {
	return len(r.of(kind, name))
}

// rsRunning is a supervisor running in a goroutine of the bubble (a
// supervisortest.Running, with the short names these tests use).
type rsRunning struct{ run *supervisortest.Running }

// rsStart runs sup in a new goroutine and waits until the bubble settles.
// A cleanup cancels the run and waits for it, so a failed test does not
// deadlock its bubble.
func rsStart(t *testing.T, sup *supervisor.Supervisor) *rsRunning {
	t.Helper()
	r := &rsRunning{run: supervisortest.Start(t, sup)}
	synctest.Wait()
	return r
}

// wait waits for Run to return and returns its error.
func (r *rsRunning) wait() error { return r.run.Wait() }

// stop cancels the run's context and returns Run's error.
func (r *rsRunning) stop() error { return r.run.Stop() }

// returned reports, once the bubble has settled, whether Run has returned
// and with what.
func (r *rsRunning) returned() (bool, error) {
	synctest.Wait()
	return r.run.Returned()
}

// rsNew calls supervisor.New and fails the test on error.
func rsNew(t *testing.T, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	return supervisortest.New(t, name, opts...)
}

// rsNames returns the names of children.
func rsNames(children []supervisor.ChildInfo) []string { return supervisortest.Names(children) }

// rsInfo returns the snapshot of the named child, or false.
func rsInfo(sup *supervisor.Supervisor, name string) (supervisor.ChildInfo, bool) {
	return supervisortest.ChildNamed(sup, name)
}

// rsEqual fails the test if got differs from want, showing both.
func rsEqual[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// rsEscalation returns err as an *EscalationError or fails the test.
func rsEscalation(t *testing.T, err error) *supervisor.EscalationError {
	t.Helper()
	var esc *supervisor.EscalationError
	if !errors.As(err, &esc) {
		t.Fatalf("Run returned %v (%T), want an *EscalationError", err, err)
	}
	return esc
}
