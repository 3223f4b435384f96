package daemon

import (
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/arbor-go/arbor/internal/liblog"
	"github.com/arbor-go/arbor/supervisor"
	sd "github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// An Option configures Main and Run.
type Option func(*config)

// config is what the options chose. It is built once by Run and read only
// afterwards, by Run's goroutine.
type config struct {
	budget      time.Duration // whole-shutdown deadline; 0: none
	healthAddr  string        // health server address as given; "": no server
	pprof       bool          // serve /debug/pprof/ on the health server
	publicDebug bool          // serve the tree, the page, /events and pprof beyond loopback
	routes      []route       // the program's own handlers on the health server
	mux         http.Handler  // the health server's routes, built by validate
	logger      *zap.Logger   // WithLogger's, or the default when neither logger was given
	slogger     *slog.Logger  // WithSlog's
	log         logger        // writes to both
	notifier    Notifier
	watchdog    time.Duration // the watchdog timeout; pings go at half of it
	watchdogSet bool          // watchdog was given; otherwise read from the environment
	signals     <-chan os.Signal
	events      int // buffer of the subscription to the tree's events
}

// newConfig applies opts over the defaults. Validation is separate (see
// validate), so that Main can find the logger even when an option is bad.
func newConfig(opts []Option) config {
	cfg := config{budget: DefaultShutdownBudget, events: 1024}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil && cfg.slogger == nil {
		cfg.logger = defaultLogger()
	}
	if cfg.logger != nil {
		// The daemon's entries carry no caller and no stack trace: they
		// would be the daemon's own code, the same in every process
		// (zap.NewProduction adds a caller to every entry, a stack from
		// Error).
		cfg.logger = liblog.Zap(cfg.logger)
	}
	cfg.log = logger{zap: cfg.logger, slog: cfg.slogger}
	if cfg.notifier == nil {
		cfg.notifier = SystemdNotifier()
	}
	return cfg
}

// defaultLogger writes JSON entries at Info and above to stderr.
func defaultLogger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), zapcore.InfoLevel))
}

// validate checks the options and root, reads the watchdog from the
// environment if no option set it, and resolves the health address.
func (c *config) validate(root *supervisor.Supervisor) error {
	if root == nil {
		return &supervisor.ConfigError{Field: "root", Value: root, Reason: "must be a *supervisor.Supervisor made by supervisor.New",
			Err: supervisor.ErrNotConstructed}
	}
	if c.budget < 0 {
		return &supervisor.ConfigError{Field: "WithShutdownBudget", Value: c.budget, Reason: "must not be negative (zero: no budget)"}
	}
	if d := root.DrainDelay(); c.budget > 0 && d >= c.budget {
		// The process budget caps the whole shutdown, drain included: a
		// drain that spends it leaves the children no time at all, and the
		// process would exit with a *BudgetError every time.
		return &supervisor.ConfigError{Field: "DrainDelay", Value: d,
			Reason: "the root's drain delay must be shorter than the process's shutdown budget (" + c.budget.String() +
				", daemon.WithShutdownBudget), which caps the whole shutdown, drain included"}
	}
	if c.watchdog < 0 || (c.watchdog > 0 && c.watchdog < MinWatchdog) {
		return &supervisor.ConfigError{Field: "WithWatchdog", Value: c.watchdog,
			Reason: "must be zero (no pings) or at least " + MinWatchdog.String()}
	}
	if !c.watchdogSet {
		d, err := watchdogFromEnv()
		if err != nil {
			return err
		}
		c.watchdog = d
	}
	if c.healthAddr == "" {
		switch {
		case c.pprof:
			return &supervisor.ConfigError{Field: "WithPprof", Value: true, Reason: "needs a health server (WithHealthAddr)"}
		case c.publicDebug:
			return &supervisor.ConfigError{Field: "WithPublicDebug", Value: true, Reason: "needs a health server (WithHealthAddr)"}
		case len(c.routes) > 0:
			return &supervisor.ConfigError{Field: "WithHandler", Value: strconv.Quote(c.routes[0].pattern),
				Reason: "needs a health server (WithHealthAddr)"}
		}
		return nil
	}
	addr, err := listenAddr(c.healthAddr)
	if err != nil {
		return err
	}
	c.healthAddr = addr
	c.mux, err = healthMux(root, c.pprof, c.publicDebug, c.routes)
	return err
}

// MinWatchdog is the shortest watchdog timeout WithWatchdog and
// $WATCHDOG_USEC may set: a shorter one would make the process ping the
// service manager in a tight loop.
const MinWatchdog = time.Millisecond

// watchdogFromEnv reads the watchdog timeout systemd sets for WatchdogSec=:
// $WATCHDOG_USEC, for the process $WATCHDOG_PID names when it is set. It
// is zero when $WATCHDOG_USEC is unset or the watchdog is another
// process's. A $WATCHDOG_USEC that is not a whole number of microseconds,
// or is below MinWatchdog, or does not fit a time.Duration, is a
// *supervisor.ConfigError, as is a malformed $WATCHDOG_PID.
//
// go-systemd's SdWatchdogEnabled is not used: it multiplies the value by
// 1000 without checking for overflow, so that a huge value becomes a
// watchdog of a few nanoseconds.
func watchdogFromEnv() (time.Duration, error) {
	v := os.Getenv("WATCHDOG_USEC")
	if v == "" {
		return 0, nil
	}
	bad := func(reason string) error {
		return &supervisor.ConfigError{Field: "WATCHDOG_USEC", Value: strconv.Quote(v), Reason: reason}
	}
	usec, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, bad("does not fit a time.Duration")
	case err != nil:
		return 0, bad("must be a whole number of microseconds")
	case usec <= 0 || usec < int64(MinWatchdog/time.Microsecond):
		return 0, bad("must be at least " + strconv.FormatInt(int64(MinWatchdog/time.Microsecond), 10) + " (" + MinWatchdog.String() + ")")
	case usec > math.MaxInt64/int64(time.Microsecond):
		return 0, bad("does not fit a time.Duration")
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" {
		n, err := strconv.Atoi(pid)
		if err != nil {
			return 0, &supervisor.ConfigError{Field: "WATCHDOG_PID", Value: strconv.Quote(pid), Reason: "must be a process ID"}
		}
		if n != os.Getpid() {
			return 0, nil // the watchdog of another process
		}
	}
	return time.Duration(usec) * time.Microsecond, nil
}

// listenAddr returns addr with the loopback address 127.0.0.1 as its host
// when it names none. The port must be a number.
func listenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", &supervisor.ConfigError{Field: "WithHealthAddr", Value: strconv.Quote(addr),
			Reason: `must be "host:port" or ":port" (` + err.Error() + ")"}
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return "", &supervisor.ConfigError{Field: "WithHealthAddr", Value: strconv.Quote(addr),
			Reason: "the port must be a number from 0 to 65535"}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// WithShutdownBudget sets how long the whole shutdown may take, from the
// moment it begins (the first signal, the end of Run's context, or the root
// beginning to stop by itself) to the root's return, drain delay included
// (default DefaultShutdownBudget). When it is spent, Run logs the children
// still running and returns ExitFailure with a *BudgetError. Zero means no
// budget: wait for the tree as long as it takes. A negative budget is a
// *supervisor.ConfigError, and so is a root whose drain delay
// (supervisor.WithDrainDelay) is not shorter than the budget.
//
// Keep it below the service manager's grace period (TimeoutStopSec,
// terminationGracePeriodSeconds), and the root's own
// supervisor.WithShutdownBudget, which also caps the whole shutdown, drain
// included, a little below it: then the tree cancels and reports its stuck
// children (with their stacks) itself, before this budget ends the
// process.
func WithShutdownBudget(d time.Duration) Option {
	return func(c *config) { c.budget = d }
}

// WithHealthAddr serves supervisor/health's handler on an HTTP server at
// addr, from before the tree starts until Run returns: the probes
// (/healthz, /readyz) to every client, and the tree (/, /tree,
// /tree.json), the page (/ui and /ui/...), the events (/events) and, with
// WithPprof, the profiles (/debug/pprof/) only on connections that arrived
// on a loopback address (127.0.0.0/8, ::1), unless WithPublicDebug; other
// connections get 404 for them. (Those carry error texts, which can hold
// secrets such as a connection string, and the tree's shape.) A program's
// own handlers (WithHandler) are served on the same server.
//
// An address without a host, such as ":8081", listens on 127.0.0.1 only;
// name the host to listen elsewhere, such as "0.0.0.0:8081" for probes from
// outside the host (a Kubernetes kubelet): the debug pages then stay
// reachable at 127.0.0.1:8081 from the host or pod itself (kubectl
// port-forward connects there); on one address that is not loopback,
// such as "10.0.0.5:8081", they are served only with WithPublicDebug. Port 0 picks a free port, logged as
// "health server listening". The default, "", serves nothing. A bad
// address is a *supervisor.ConfigError; an address that cannot be bound
// makes Run return ExitFailure before the tree starts.
func WithHealthAddr(addr string) Option {
	return func(c *config) { c.healthAddr = addr }
}

// WithPprof adds the runtime profiles under /debug/pprof/ to the health
// server (default off): the index, every runtime/pprof profile by name
// (?debug=1 for text), /debug/pprof/profile?seconds=N for a CPU profile and
// /debug/pprof/trace?seconds=N for an execution trace. Like the tree, they
// are served only on connections that arrived on a loopback address,
// unless WithPublicDebug. It needs WithHealthAddr. Unlike importing
// net/http/pprof, it registers nothing on http.DefaultServeMux.
func WithPprof(on bool) Option {
	return func(c *config) { c.pprof = on }
}

// WithPublicDebug serves the tree, the page, the events and the profiles
// (WithPprof) to every client of the health server, on every address it
// listens on, and not only on connections that arrived on loopback
// (default off). Only the probes need to be public; turn this on only
// where everyone who can reach the address may read the tree's shape and
// every error text (a connection string with its password is an error
// text) and take profiles, such as a network only operators reach. It
// needs WithHealthAddr.
func WithPublicDebug(on bool) Option {
	return func(c *config) { c.publicDebug = on }
}

// WithHandler mounts h on the health server at pattern, a path pattern of
// http.ServeMux with an optional method and no host ("/metrics",
// "GET /version"), for a program's own endpoints, such as the Prometheus
// module's /metrics: they answer from before the tree starts until Run
// returns, through the whole shutdown. They are served wherever the server
// listens, to every client (the program chose the address: on
// "0.0.0.0:8081" they are public). It can be given more than once. A nil
// handler, a malformed pattern, two handlers for one pattern, or a pattern
// that would take over one of the daemon's paths (see WithHealthAddr; any
// path under "/ui/", where the page's assets are; "/debug/pprof/" with
// WithPprof) is a *supervisor.ConfigError. It needs
// WithHealthAddr. A panic in h is net/http's to recover: the server drops
// the connection and the daemon logs it, with its stack, as a "health
// server error" entry at Warn (the server's other errors too).
func WithHandler(pattern string, h http.Handler) Option {
	return func(c *config) { c.routes = append(c.routes, route{pattern, h}) }
}

// WithLogger sets the zap logger for the daemon's own entries: the signals,
// readiness, the health server, the final error and the stuck report
// (default, when neither WithLogger nor WithSlog is given: JSON to stderr,
// Info and above). It does not change the root's logger
// (supervisor.WithLogger); pass the same logger to both to get one stream.
// Main flushes it (Sync) before exiting, waiting at most 1s. With WithSlog
// too, every entry goes to both. Entries are written by a goroutine of
// their own (see the package documentation): a logger that blocks never
// delays a signal or the budget. The daemon's
// entries carry no caller and no stack trace, whatever options l has: they
// would name the daemon's own code.
func WithLogger(l *zap.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithSlog sets a log/slog logger for the daemon's own entries (the same
// entries, levels and fields as WithLogger's; the stuck report is a list of
// objects with path, waited and stack). Without WithLogger, nothing is
// written through zap: a program that gives its root supervisor.WithSlog
// and the daemon WithSlog gets one stream, in one format. With WithLogger
// too, every entry goes to both. The entries carry no source location.
// The health server's own errors (see WithHandler) are such entries too.
func WithSlog(l *slog.Logger) Option {
	return func(c *config) { c.slogger = l }
}

// WithNotifier sets where the service manager notifications go (default
// SystemdNotifier: the socket in $NOTIFY_SOCKET, if any). Tests use it to
// record them.
func WithNotifier(n Notifier) Option {
	return func(c *config) { c.notifier = n }
}

// WithWatchdog sets the watchdog timeout, instead of reading it from
// $WATCHDOG_USEC (and $WATCHDOG_PID) as systemd sets them for WatchdogSec=:
// WATCHDOG=1 is sent every d/2 while the tree is alive. Zero sends no
// pings; a negative d, or one below MinWatchdog, is a
// *supervisor.ConfigError. So is a $WATCHDOG_USEC that is malformed, below
// MinWatchdog or too large for a time.Duration, when the option is not
// given: Run refuses it before the tree starts.
func WithWatchdog(d time.Duration) Option {
	return func(c *config) { c.watchdog, c.watchdogSet = d, true }
}

// WithSignals makes Run read its shutdown signals from ch instead of
// subscribing to SIGINT and SIGTERM with signal.Notify: the first value
// begins the shutdown, the second ends Run at once. Meant for tests and for
// programs that handle signals themselves; nil keeps the default.
func WithSignals(ch <-chan os.Signal) Option {
	return func(c *config) { c.signals = ch }
}

// Notifier sends service manager notifications in the sd_notify protocol:
// each call sends one message, newline-separated assignments such as
// "READY=1" or "STATUS=...". Run calls it from one goroutine of its own
// (never Run's), one call at a time, in order. A call may block: Run goes
// on handling signals and the budget meanwhile, and keeps what it has
// still to send as the package documentation says. A panic in Notify is
// a failed notification.
type Notifier interface {
	Notify(state string) error
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(state string) error

// Notify calls f(state).
func (f NotifierFunc) Notify(state string) error { return f(state) }

// SystemdNotifier returns the Notifier that sends each message as one
// datagram to the socket named by $NOTIFY_SOCKET, through go-systemd's
// daemon.SdNotify, and does nothing when $NOTIFY_SOCKET is not set.
func SystemdNotifier() Notifier {
	return NotifierFunc(func(state string) error {
		_, err := sd.SdNotify(false, state)
		return err
	})
}
