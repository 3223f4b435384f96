package supervisor

import (
	"context"
	"time"

	"github.com/arbor-go/arbor/policy"
	"go.uber.org/zap"
)

// pathLabel is the pprof goroutine label carrying a child's tree path.
const pathLabel = "supervisor.path"

// child is the run-time record of one child in one run. It is also the
// context every incarnation of the child derives from: it carries the
// values of the supervisor's scope (Value delegates to it), and answers
// Value for childKey so that Logger and Path find it, at no allocation per
// incarnation. It does not carry the scope's cancellation: the supervisor
// cancels every incarnation itself, always with a cause, so an
// incarnation's context need not be registered with the scope (that
// registration costs a lock and a map update per restart).
//
// The pprof label with the child's path is set on its goroutine when the
// goroutine starts (goroutines the child starts inherit it), not kept in
// the context: a labelled context would cost every idle child 48 bytes
// more, a fifth of what a supervisor adds to a goroutine.
type child struct {
	r    *run   // the run the record belongs to; immutable
	spec *Child // the specification; immutable
	path string // tree path; immutable

	// Guarded by r.s.mu. The record of an idle worker is kept small (it is
	// most of what a supervisor adds to a goroutine): what few children
	// need lives in x, made on first use.
	prev, next  *child                  // start order (a list, so that removal is O(1))
	gen         uint64                  // incarnation number, from 1
	cancel      context.CancelCauseFunc // cancels the current incarnation
	since       instant                 // 1 + the last state change; 0: never changed
	x           *childExtra             // what few children need; nil until then
	restarts    int32                   // restarts in this run
	consecutive int32                   // restarts since the last long-enough run
	st          lstate                  // the lifecycle state: see the table in state.go
	then        afterStop               // in stopping and stuck: what follows the goroutine's return
	timedOut    bool                    // the start timeout cancelled the current incarnation
	watched     bool                    // a stopper waits for the goroutine to return
	ranReady    bool                    // the current incarnation became ready (or started, without WaitReady)
	grouped     bool                    // a member of the group restart of r.group: its events carry Origin
	isSup       bool                    // the spec says it is a supervisor; immutable
	waitReady   bool                    // started only once ready; immutable
}

// childExtra is the part of a child record that few children need.
// Guarded by r.s.mu.
type childExtra struct {
	sub        *Supervisor // the supervisor running as this (declared supervisor) child
	logger     *zap.Logger // Logger(ctx), made on first use outside the lock
	slogger    *slogLogger // SlogLogger(ctx), made on first use outside the lock
	startTimer *time.Timer // the current incarnation's start timeout, or, hung, its shutdown timeout, if armed
	waiter     *starter    // a start waits for the child's readiness
	readyAt    instant     // when the incarnation became ready; kept only when backoff needs the time
	lastErr    error       // the last abnormal exit
	lastText   string      // its text, taken outside the lock
	stuckAt    *StuckChild // in stuck: the report
	pid        int         // SetPID: the process the current incarnation runs; 0: none
	status     string      // the text set by actor.SetStatus (see status.go)
	statusGen  uint64      // the incarnation that set status
	paths      *pathBuf    // a supervisor child's: the buffer its path is in (see childPath); immutable
	live       *liveState  // a child with a Liveness: its deadline's state (liveness.go)
	// A slot waiting for a goroutine of an earlier run (see inheritLocked):
	// old is, in the slot, the earlier run's record whose goroutine is
	// stuck; heir is, in that record, the slot of the latest run that waits
	// for it. Both nil otherwise.
	old, heir *child
}

// extra returns c's rarely needed state, making it. Called with s.mu held.
func (c *child) extra() *childExtra {
	if c.x == nil {
		c.x = new(childExtra)
	}
	return c.x
}

// waiterLocked returns the start waiting on c, or nil. Called with s.mu
// held.
func (c *child) waiterLocked() *starter {
	if c.x == nil {
		return nil
	}
	return c.x.waiter
}

// setWaiterLocked records the start waiting on c (nil: none). Called with
// s.mu held.
func (c *child) setWaiterLocked(w *starter) {
	if w != nil || c.x != nil {
		c.extra().waiter = w
	}
}

// stopTimerLocked disarms the start timeout, if armed. Called with s.mu
// held.
func (c *child) stopTimerLocked() {
	if c.x != nil && c.x.startTimer != nil {
		c.x.startTimer.Stop()
		c.x.startTimer = nil
	}
}

// stuckLocked returns c's stuck report, or nil. Called with s.mu held.
func (c *child) stuckLocked() *StuckChild {
	if c.x == nil {
		return nil
	}
	return c.x.stuckAt
}

// lastLocked returns the text of c's last abnormal exit, and the exit's
// error. Called with s.mu held.
func (c *child) lastLocked() (string, error) {
	if c.x == nil {
		return "", nil
	}
	return c.x.lastText, c.x.lastErr
}

// markReadyLocked records that c's incarnation became ready (or started,
// without WaitReady) at now. Its time is kept only for a backoff that
// resets after the incarnation ran for some time: most children need just
// the fact. Called with s.mu held.
func (c *child) markReadyLocked(now instant) {
	c.ranReady = true
	if c.spec.Liveness != nil {
		c.r.kickLivenessLocked() // its deadline runs from now
	}
	if !c.backoffSpec().ResetsAfter(0) {
		c.extra().readyAt = now
	}
}

// ranLongLocked reports whether c's incarnation, ready since markReadyLocked,
// ran long enough by at for its backoff to start again from the first
// delay. Called with s.mu held.
func (c *child) ranLongLocked(at instant) bool {
	if !c.ranReady {
		return false
	}
	b := c.backoffSpec()
	if b.ResetsAfter(0) {
		return true
	}
	return b.ResetsAfter(time.Duration(at - c.x.readyAt))
}

// subLocked returns the supervisor running as c, for a declared supervisor
// child. Called with s.mu held.
func (c *child) subLocked() *Supervisor {
	if c.x == nil || !c.isSup {
		return nil
	}
	return c.x.sub
}

type childKey struct{}

// Deadline, Done and Err hide the scope's cancellation: an incarnation's
// context is cancelled by the supervisor alone, always with a cause, so it
// need not be registered with the scope (that registration would cost a
// lock and a map update per restart).
func (c *child) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done returns nil: see Deadline.
func (c *child) Done() <-chan struct{} { return nil }

// Err returns nil: see Deadline.
func (c *child) Err() error { return nil }

// Value answers childKey with the child record, pprof's labels with its
// run's (see labelsKey: the labels every context of the run sees, but a
// label supervisor.path set on a context above, which the child's goroutine
// label replaces anyway), and delegates the rest.
func (c *child) Value(key any) any {
	if key == (childKey{}) {
		return c
	}
	if labelsKey != nil && key == labelsKey {
		return c.r.labels.Value(key)
	}
	return c.r.scope.Value(key)
}

// newChild makes the record of spec, which must not change afterwards.
func newChild(r *run, spec *Child) *child {
	c := &child{r: r, spec: spec, st: lsIdle}
	c.isSup = spec.isSupervisor()
	var buf *pathBuf
	c.path, buf = childPath(r.path, r.paths, spec.Name, c.isSup)
	if c.isSup {
		c.extra().paths = buf // set before the record is shared: read without the lock
	}
	c.waitReady = spec.WaitReady || c.isSup
	return c
}

// move applies event ev to c, taking it to next, if the state table allows
// it; it reports whether it did. Called with s.mu held.
func (c *child) moveLocked(ev event, next lstate, now instant) bool {
	if !allowed(c.st, ev, next) {
		return false
	}
	c.st = next
	c.since = now + 1
	return true
}

// public returns the state Children and Snapshot report.
func (c *child) publicLocked() State {
	switch c.st {
	case lsStarting:
		return StateStarting
	case lsRunning:
		return StateRunning
	case lsBackoff:
		return StateBackoff
	case lsExiting:
		return StateStopping
	case lsStopping:
		if c.then == thenPending {
			return StateRestarting
		}
		return StateStopping
	case lsStuck:
		return StateStuck
	case lsHung:
		return StateHung
	case lsPending:
		if c.r.delayed == c {
			return StateBackoff
		}
		return StateRestarting
	}
	return StateStopped
}

// readyLocked reports whether the current incarnation is running and ready.
func (c *child) readyLocked() bool { return c.st == lsRunning }

func childOf(ctx context.Context) *child {
	if ctx == nil {
		return nil
	}
	c, _ := ctx.Value(childKey{}).(*child)
	return c
}

// Path returns the tree path of the child whose incarnation ctx belongs to,
// such as "root/db/pool", or "" if ctx does not come from a supervisor (or
// is nil).
func Path(ctx context.Context) string {
	if c := childOf(ctx); c != nil {
		return c.path
	}
	return ""
}

// Logger returns a logger scoped to the child whose incarnation ctx belongs
// to: its supervisor's logger with a "path" field. Outside a supervisor (or
// for a nil ctx) it returns a no-op logger. The logger is made on first use,
// without holding any lock of the supervisor.
func Logger(ctx context.Context) *zap.Logger {
	c := childOf(ctx)
	if c == nil {
		return zap.NewNop()
	}
	return scopedLogger(c, func(x *childExtra) **zap.Logger { return &x.logger },
		func() *zap.Logger { return c.r.log.With(zap.String("path", c.path)) })
}

// scopedLogger returns the logger kept in slot of c's record, making it
// with build on first use. build is user code (a zap core's With, a slog
// handler's WithAttrs): it runs without the lock, in the caller's
// goroutine; if two callers race, the first logger kept wins.
func scopedLogger[L comparable](c *child, slot func(*childExtra) *L, build func() L) L {
	var none L
	s := c.r.s
	s.mu.Lock()
	l := *slot(c.extra())
	s.mu.Unlock()
	if l != none {
		return l
	}
	l = build()
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := slot(c.x); *p == none {
		*p = l
	}
	return *slot(c.x)
}

// StopDeadline returns the time by which the child whose incarnation ctx
// belongs to must have returned, once its supervisor has asked it to stop,
// so that it can pass it on (for example to http.Server.Shutdown). ok is
// false while the child has not been asked to stop, when its shutdown
// timeout is infinite, outside a supervisor, and for a nil ctx.
func StopDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	c := childOf(ctx)
	if c == nil {
		return time.Time{}, false
	}
	s := c.r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.st != lsStopping && c.st != lsHung {
		return time.Time{}, false
	}
	// Not stored (a field in every record that stops): the stop began when
	// c entered stopping (or hung: the supervisor cancelled it then), and waits for the child's shutdown timeout, cut
	// by the shutdown budget's end if there is one.
	asked := c.r.at(c.since)
	var by time.Time
	if d := c.shutdownTimeout(); d != policy.Infinity {
		by = asked.Add(d)
	}
	if dl := c.r.deadline; !dl.IsZero() && (by.IsZero() || dl.Before(by)) {
		by = dl
	}
	return by, !by.IsZero()
}

// backoffSpec returns the child's backoff policy.
func (c *child) backoffSpec() *policy.Backoff {
	if c.spec.Backoff != nil {
		return c.spec.Backoff
	}
	return &c.r.s.cfg.backoff
}
