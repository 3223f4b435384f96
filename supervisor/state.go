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
	context.Context // the run's scope
	r               *run
	spec            Child
	path            string
	isSup           bool
	waitReady       bool
	backoff         *policy.Backoff
	base            context.Context // this, with pprof labels (and readiness hook)
	readyFn         func()

	// guarded by r.s.mu
	state       State
	gen         uint64 // incarnation number, from 1
	cancel      context.CancelCauseFunc
	alive       bool          // a goroutine of this child is running
	done        chan struct{} // closed when that goroutine returns
	stopping    bool          // the supervisor asked the current incarnation to stop
	stopBy      time.Time     // when the supervisor stops waiting for it; zero: no limit
	starting    bool          // a starter waits for readiness
	readyCh     chan struct{} // closed on readiness while starting
	startErr    error         // exit of an incarnation that ended while starting
	startExited bool          // the incarnation ended while starting
	timedOut    bool          // the start timeout cancelled it
	ready       bool          // the current incarnation is ready
	readyAt     time.Time     // when it became ready (or started)
	since       time.Time     // last state change
	restarts    int           // restarts in this run
	consecutive int           // restarts since the last long-enough run
	lastErr     error
	stuck       bool
	inGroup     bool                       // stopped or waiting as part of a pending group restart
	removed     bool                       // removed while stuck: drop the record when it returns
	sub         atomic.Pointer[Supervisor] // set when a supervisor runs as this child
	logger      *zap.Logger
	logLim      limiter
}

type childKey struct{}

// Value answers childKey with the child record and delegates the rest.
func (c *child) Value(key any) any {
	if key == (childKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func newChild(r *run, spec Child) *child {
	c := &child{Context: r.detached, r: r, spec: spec}
	c.path = r.path + PathSeparator + spec.Name
	c.isSup = spec.isSupervisor()
	c.waitReady = spec.WaitReady || c.isSup
	if spec.Backoff != nil {
		c.backoff = spec.Backoff
	} else {
		c.backoff = &r.s.cfg.backoff
	}
	c.base = pprof.WithLabels(c, pprof.Labels(pathLabel, c.path))
	if c.waitReady {
		c.readyFn = func() { r.childReady(c) }
		c.base = actor.WithReady(c.base, c.readyFn)
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
	if c.logger == nil {
		c.logger = c.r.log.With(zap.String("path", c.path))
	}
	return c.logger
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
	if !c.stopping || c.stopBy.IsZero() {
		return time.Time{}, false
	}
	return c.stopBy, true
}

func (c *child) setState(st State, now time.Time) {
	c.state = st
	c.since = now
}
