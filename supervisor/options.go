package supervisor

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/arbor-go/arbor/policy"
	"go.uber.org/zap"
)

// An Option configures a Supervisor in New.
type Option func(*config)

type config struct {
	strategy           policy.Strategy
	intensity          policy.Intensity
	backoff            policy.Backoff
	auto               policy.AutoShutdown
	children           []Child
	logger             *zap.Logger
	slogger            *slog.Logger
	observers          []Observer
	observerBuffer     int
	jitter             func() float64
	startTimeout       time.Duration
	shutdownBudget     time.Duration
	drainDelay         time.Duration
	concurrentShutdown bool
	maxChildren        int
	init               func(ctx context.Context, s *Supervisor) error
	shared             func() any
	crashOnPanic       bool
	logBurst           int
	logPer             time.Duration
}

func defaultConfig() config {
	return config{
		intensity:      policy.DefaultIntensity,
		observerBuffer: 1024,
		logBurst:       5,
		logPer:         10 * time.Second,
	}
}

// WithStrategy sets the restart strategy (default policy.OneForOne).
func WithStrategy(s policy.Strategy) Option { return func(c *config) { c.strategy = s } }

// WithIntensity sets the restart intensity (default 3 restarts in 5s).
func WithIntensity(i policy.Intensity) Option { return func(c *config) { c.intensity = i } }

// WithBackoff sets the backoff for children without one of their own
// (default: none, restart at once).
func WithBackoff(b policy.Backoff) Option { return func(c *config) { c.backoff = b } }

// WithAutoShutdown sets when the supervisor shuts itself down because its
// significant children ended (default policy.Never).
func WithAutoShutdown(a policy.AutoShutdown) Option { return func(c *config) { c.auto = a } }

// WithChildren appends children to the specification, in start order.
func WithChildren(children ...Child) Option {
	return func(c *config) { c.children = append(c.children, children...) }
}

// WithLogger sets the logger for lifecycle events. Without it, a supervisor
// run as a child inherits its parent's logger, and a root logs nothing.
// The entries the supervisor writes carry no caller and no stack trace of
// their own, whatever options the logger has (zap.NewProduction's caller
// and Error-level stack would be those of the supervisor's log goroutine);
// a panic's entry has the panic's stack as its stack. Logger(ctx) is the
// same logger, options kept, for the child's own entries.
func WithLogger(l *zap.Logger) Option { return func(c *config) { c.logger = l } }

// WithSlog sets a log/slog logger for lifecycle events: the same entries
// (messages, levels, fields, rate limit) as WithLogger's, through l's
// handler, in a sink of its own. It may be set together with WithLogger:
// both then get every entry. Without it, a supervisor run as a child
// inherits its parent's slog logger, and a root logs nothing through slog.
// A panic's stack is the attribute "stack". Records carry no source
// position (their PC is 0): it would be the supervisor's log goroutine's.
func WithSlog(l *slog.Logger) Option { return func(c *config) { c.slogger = l } }

// WithObserver adds an observer of lifecycle events. Observers of a
// supervisor also see the events of the supervisors below it that have none
// of their own.
func WithObserver(o Observer) Option {
	return func(c *config) { c.observers = append(c.observers, o) }
}

// WithObserverBuffer sets the length of each observer's queue (default
// 1024, at least 1, at most MaxObserverBuffer). When a queue is full,
// events are dropped and counted.
func WithObserverBuffer(n int) Option { return func(c *config) { c.observerBuffer = n } }

// WithJitter sets the source of the random fraction in [0, 1) that spreads
// backoff delays (default math/rand/v2.Float64). Tests pass a constant. A
// source that panics or returns a value outside [0, 1) is clamped.
func WithJitter(f func() float64) Option { return func(c *config) { c.jitter = f } }

// WithStartTimeout sets the default start timeout of WaitReady children
// (default: no limit).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithShutdownBudget caps the whole shutdown, counted from when it begins:
// the drain delay, an operation in flight that the shutdown takes over (a
// Remove, a Restart, a group restart), every child's wait, and the wait for
// loggers and observers. Each child's wait is the smaller of its own
// timeout and what is left of the budget; once it is spent, the remaining
// children are cancelled together and reported stuck if they do not stop
// at once. Zero means no budget.
func WithShutdownBudget(d time.Duration) Option { return func(c *config) { c.shutdownBudget = d } }

// WithDrainDelay sets how long the supervisor stays up but unready after
// shutdown begins, before it stops any child, so that load balancers notice.
// The drain counts within the shutdown budget: with a budget, the drain
// delay must be shorter than it (New returns a *ConfigError otherwise), and
// what the drain leaves of the budget is what the children are given.
func WithDrainDelay(d time.Duration) Option { return func(c *config) { c.drainDelay = d } }

// WithConcurrentShutdown makes shutdown cancel all children at once and wait
// for each under its own timeout, instead of stopping them one at a time
// newest-first. Meant for pools of identical workers.
func WithConcurrentShutdown(on bool) Option {
	return func(c *config) { c.concurrentShutdown = on }
}

// WithMaxChildren limits how many children the supervisor may have at once
// (zero: no limit). Children that are restarting, in backoff or stuck take
// their place.
func WithMaxChildren(n int) Option { return func(c *config) { c.maxChildren = n } }

// WithInit sets a hook that runs at the start of every run, after the
// children from the specification have started and before the supervisor is
// ready. It may Add children (for example a pool's dynamic workers). An
// error from it fails the run like a start error. Its context is cancelled
// when shutdown begins; a hook that does not return is abandoned at the
// shutdown budget's end (without a budget, after
// policy.DefaultShutdownTimeout) and reported stuck as root/(init).
func WithInit(f func(ctx context.Context, s *Supervisor) error) Option {
	return func(c *config) { c.init = f }
}

// WithCrashOnPanic makes panics in children crash the process instead of
// being recovered (children can override it with Child.Panics).
func WithCrashOnPanic(on bool) Option { return func(c *config) { c.crashOnPanic = on } }

// WithLogRateLimit limits the failure entries logged for one child to burst
// in each period, then logs how many were suppressed (default 5 per 10s).
// A panic's stack is logged once per period. A burst of zero disables the
// limit.
func WithLogRateLimit(burst int, period time.Duration) Option {
	return func(c *config) { c.logBurst, c.logPer = burst, period }
}

func (c *config) validate() error {
	if err := c.strategy.Validate(); err != nil {
		return err
	}
	if err := c.intensity.Validate(); err != nil {
		return err
	}
	if err := c.backoff.Validate(); err != nil {
		return err
	}
	if err := c.auto.Validate(); err != nil {
		return err
	}
	if err := validateBuffer("ObserverBuffer", c.observerBuffer); err != nil {
		return err
	}
	switch {
	case c.startTimeout < 0:
		return &ConfigError{Field: "StartTimeout", Value: c.startTimeout, Reason: "must be >= 0"}
	case c.shutdownBudget < 0:
		return &ConfigError{Field: "ShutdownBudget", Value: c.shutdownBudget, Reason: "must be >= 0"}
	case c.drainDelay < 0:
		return &ConfigError{Field: "DrainDelay", Value: c.drainDelay, Reason: "must be >= 0"}
	case c.shutdownBudget > 0 && c.drainDelay >= c.shutdownBudget:
		// The budget caps the whole shutdown, drain included: a drain that
		// spends it leaves the children no time at all (each would be
		// reported stuck "after 0s", and Run would overrun the budget).
		return &ConfigError{Field: "DrainDelay", Value: c.drainDelay,
			Reason: "must be shorter than the shutdown budget (" + c.shutdownBudget.String() + ")"}
	case c.maxChildren < 0:
		return &ConfigError{Field: "MaxChildren", Value: c.maxChildren, Reason: "must be >= 0"}
	case c.maxChildren > 0 && len(c.children) > c.maxChildren:
		return &ConfigError{Field: "MaxChildren", Value: c.maxChildren, Reason: "is below the number of children"}
	case c.logBurst < 0:
		return &ConfigError{Field: "LogRateLimit.Burst", Value: c.logBurst, Reason: "must be >= 0"}
	case c.logBurst > 0 && c.logPer <= 0:
		return &ConfigError{Field: "LogRateLimit.Period", Value: c.logPer, Reason: "must be > 0"}
	}
	for i, o := range c.observers {
		if o == nil {
			return &ConfigError{Field: "Observer[" + strconv.Itoa(i) + "]", Value: nil, Reason: "must not be nil"}
		}
	}
	return nil
}

// MaxObserverBuffer is the longest queue an observer or a subscription may
// have: 1<<20 events (a queue's memory is allocated when the run starts).
const MaxObserverBuffer = 1 << 20

func validateBuffer(field string, n int) error {
	if n < 1 || n > MaxObserverBuffer {
		return &ConfigError{Field: field, Value: n, Reason: "must be between 1 and " + strconv.Itoa(MaxObserverBuffer)}
	}
	return nil
}
