package supervisor

import (
	"context"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"go.uber.org/zap"
)

// State is where a child stands in its lifecycle.
type State uint8

const (
	StateStarting   State = iota // launched, waiting to become ready
	StateRunning                 // running (and ready, if it waits for readiness)
	StateBackoff                 // waiting out a backoff delay before its next incarnation
	StateRestarting              // stopped or being stopped, to be restarted by the supervisor
	StateStopping                // asked to stop, not yet returned
	StateStopped                 // not running and not scheduled to run
	StateStuck                   // did not stop within its shutdown timeout; goroutine abandoned
)

var stateNames = [...]string{"starting", "running", "backoff", "restarting", "stopping", "stopped", "stuck"}

// String returns the state's name, such as "backoff".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes the state as its name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// pathLabel is the pprof goroutine label carrying a child's tree path.
const pathLabel = "supervisor.path"

// child is the run-time record of one child in one run. It is also the
// context every incarnation of the child derives from: it carries the
// values of the supervisor's scope, and answers Value for childKey so that
// Logger and Path find it, at no allocation per incarnation. It does not
// carry the scope's cancellation: the supervisor cancels every incarnation
// itself, always with a cause, so an incarnation's context need not be
// registered with the scope (that registration costs a lock and a map
// update per restart).
//
// Fields below mu are guarded by the supervisor's mutex.
type child struct {
	context.Context                 // the run's scope, without its cancellation
	r               *run            // the run the record belongs to
	spec            *Child          // the specification; never modified
	path            string          // tree path
	base            context.Context // this, with pprof labels (and readiness hook)

	// guarded by r.s.mu
	cancel      context.CancelCauseFunc    // cancels the current incarnation
	done        chan struct{}              // made by a stopper; closed when the goroutine returns
	gen         uint64                     // incarnation number, from 1
	readyAt     int64                      // when it became ready (or started), in ns since the run began
	stopBy      int64                      // when the supervisor stops waiting for it, likewise
	since       time.Time                  // last state change
	restarts    int32                      // restarts in this run
	consecutive int32                      // restarts since the last long-enough run
	lastErr     error                      // the last abnormal exit
	sub         atomic.Pointer[Supervisor] // set when a supervisor runs as this child
	x           *childExtra                // state few children need, made on first use
	state       State
	isSup       bool // declared or recognised as a supervisor
	waitReady   bool // started only once ready
	alive       bool // a goroutine of this child is running
	stopping    bool // the supervisor asked the current incarnation to stop
	starting    bool // a starter waits for readiness
	startExited bool // the incarnation ended while starting
	timedOut    bool // the start timeout cancelled it
	ready       bool // the current incarnation is ready
	stuck       bool // did not stop in time; goroutine abandoned
	inGroup     bool // stopped or waiting as part of a pending group restart
	removed     bool // removed while stuck: drop the record when it returns
	watched     bool // a stopper waits for the goroutine to return
	hasStopBy   bool // stopBy is set
}

// childExtra holds what only some children need, so that the record of an
// idle worker stays small.
type childExtra struct {
	readyCh  chan struct{} // closed on readiness while starting
	startErr error         // exit of an incarnation that ended while starting
	logger   *zap.Logger   // Logger(ctx), made on first use
	logLim   limiter       // failure-log rate limit
	// startTimer bounds the readiness wait of an incarnation no starter
	// waits for.
	startTimer *time.Timer
}

// stopStartTimer disarms the start timeout, if armed. Called with s.mu held.
func (x *childExtra) stopStartTimer() {
	if x.startTimer != nil {
		x.startTimer.Stop()
		x.startTimer = nil
	}
}

// extra returns c's rarely needed state. Called with s.mu held.
func (c *child) extra() *childExtra {
	if c.x == nil {
		c.x = new(childExtra)
	}
	return c.x
}

// gone records that c's goroutine is returning: it wakes a stopper that
// waits. Called with s.mu held.
func (c *child) gone() {
	c.alive = false
	if c.x != nil {
		c.x.stopStartTimer()
	}
	if c.watched {
		c.watched = false
		if c.r.goneLeft--; c.r.goneLeft == 0 {
			signal(c.r.goneSig)
		}
	}
	if c.done != nil {
		close(c.done)
		c.done = nil
	}
}

// doneChan returns a channel closed when c's goroutine returns. Called with
// s.mu held and c alive.
func (c *child) doneChan() <-chan struct{} {
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

// backoff returns the child's backoff policy.
func (c *child) backoff() *policy.Backoff {
	if c.spec.Backoff != nil {
		return c.spec.Backoff
	}
	return &c.r.s.cfg.backoff
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

// Value answers childKey with the child record and delegates the rest.
func (c *child) Value(key any) any {
	if key == (childKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// newChild makes the record of spec, which must not change afterwards.
func newChild(r *run, spec *Child) *child {
	c := &child{Context: r.scope, r: r, spec: spec}
	c.path = r.path + PathSeparator + spec.Name
	c.isSup = spec.isSupervisor()
	c.waitReady = spec.WaitReady || c.isSup
	c.base = pprof.WithLabels(c, pprof.Labels(pathLabel, c.path))
	if c.waitReady {
		c.base = actor.WithReady(c.base, func() { r.childReady(c) })
	}
	c.state = StateStopped
	return c
}

func childOf(ctx context.Context) *child {
	c, _ := ctx.Value(childKey{}).(*child)
	return c
}

// Path returns the tree path of the child whose incarnation ctx belongs to,
// such as "root/db/pool", or "" if ctx does not come from a supervisor.
func Path(ctx context.Context) string {
	if c := childOf(ctx); c != nil {
		return c.path
	}
	return ""
}

// Logger returns a logger scoped to the child whose incarnation ctx belongs
// to: its supervisor's logger with a "path" field. Outside a supervisor it
// returns a no-op logger.
func Logger(ctx context.Context) *zap.Logger {
	c := childOf(ctx)
	if c == nil {
		return zap.NewNop()
	}
	s := c.r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	x := c.extra()
	if x.logger == nil {
		x.logger = c.r.log.With(zap.String("path", c.path))
	}
	return x.logger
}

// StopDeadline returns the time by which the child whose incarnation ctx
// belongs to must have returned, once its supervisor has asked it to stop,
// so that it can pass it on (for example to http.Server.Shutdown). ok is
// false while the child has not been asked to stop, when its shutdown
// timeout is infinite, and outside a supervisor.
func StopDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	c := childOf(ctx)
	if c == nil {
		return time.Time{}, false
	}
	s := c.r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.stopping || !c.hasStopBy {
		return time.Time{}, false
	}
	return c.r.start.Add(time.Duration(c.stopBy)), true
}

func (c *child) setState(st State, now time.Time) {
	c.state = st
	c.since = now
}
