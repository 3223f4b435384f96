// Package daemon runs a root supervisor as the process: it turns signals
// into a graceful shutdown, the tree's end into an exit status, and the
// tree's life into systemd notifications, and it can serve the health
// probes (and, when asked, pprof) over HTTP.
//
// A program's main is one call:
//
//	func main() {
//		root, err := supervisor.New("mydaemon", ...)
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		daemon.Main(root, daemon.WithHealthAddr(":8081"))
//	}
//
// What Main and Run do:
//
//   - The first SIGINT or SIGTERM (or the end of Run's context) begins the
//     graceful shutdown: STOPPING=1 is queued, and at once, without
//     waiting for it to be delivered, the root's context is cancelled and
//     the shutdown budget starts, so the root turns unready, waits out its
//     drain delay (supervisor.WithDrainDelay) and stops its children
//     newest-first.
//   - A second SIGINT or SIGTERM ends the process at once with status 130,
//     without waiting for the tree.
//   - The shutdown budget (DefaultShutdownBudget, 25s, below the 30s grace
//     period Kubernetes and systemd give by default) caps the whole
//     shutdown, drain delay included: Run refuses a root whose drain delay
//     is not shorter than it. When it is spent, the process exits 1 after
//     logging which children were still running, before the service
//     manager's SIGKILL can cut the report short. Give the root a
//     supervisor.WithShutdownBudget a little smaller than the process's
//     (it too caps the whole shutdown, drain included), so that the tree
//     cancels and reports its own stuck children (with their stacks)
//     first.
//   - The exit status is 0 after a clean stop, 1 when the tree gave up,
//     failed to start, left children stuck or overran the budget, and 130
//     after a second signal. The final error is logged once, with the stuck
//     report, through zap (WithLogger), log/slog (WithSlog) or both.
//   - Under systemd (Type=notify), READY=1 is sent when the tree first
//     becomes ready (never after STOPPING=1: a tree that becomes ready
//     only after the shutdown began is not reported ready), STATUS= lines when a supervisor in the tree gives up or
//     a child is stuck, and STOPPING=1 when the shutdown begins. After
//     STOPPING=1, STATUS= says only what makes the exit non-zero (the root
//     gave up or failed to start, a child is stuck, the budget is spent; a
//     subtree that gives up during a clean drain is not reported), and a
//     clean end sends STATUS=stopped cleanly. Messages go through
//     github.com/coreos/go-systemd/v22/daemon; without $NOTIFY_SOCKET
//     nothing is sent.
//   - With WatchdogSec=, WATCHDOG=1 is sent at half the watchdog timeout
//     ($WATCHDOG_USEC, or WithWatchdog; at least MinWatchdog) while the
//     tree is alive (supervisor.Supervisor.Liveness): a stuck child stops
//     the pings, so systemd restarts the process. A child that can hang
//     while it runs (a deadlock, a read with no deadline) should declare a
//     liveness deadline (heartbeats: supervisor.Child.Liveness, with
//     actor.Beat or a probe): its supervisor then sees the hang and
//     restarts it, and a hung child that does not stop becomes stuck,
//     which stops the pings.
//   - Notifications never delay a signal, the budget or the tree: they are
//     sent by a goroutine of their own, in the order they were queued. A
//     service manager that stops reading (its socket holds about ten
//     datagrams, then the sender blocks) only makes them wait: READY=1 and
//     STOPPING=1 are never dropped and keep their order, a STATUS= line
//     replaces one not yet sent (only the latest is kept), and watchdog
//     pings coalesce into one. Once the tree has stopped, Run waits up to
//     1s for what is still queued; a notifier still blocked then (or at
//     once after a second signal) is abandoned, and Run logs that once.
//     The daemon's log entries are written the same way, by a goroutine of
//     their own, in order (up to 256 waiting; past that, entries below
//     Error are dropped and counted): a logger that blocks delays nothing
//     either. Run then waits up to 1s more for its entries, the final
//     error among them, after a second signal too.
//   - With WithHealthAddr, an HTTP server outside the tree serves
//     supervisor/health's handler from before the tree starts until the
//     process exits, so the probes answer during the whole shutdown. It
//     listens on loopback unless the address names a host. The probes
//     (/healthz, /readyz) answer every client; the tree, the page, the
//     events and the profiles (WithPprof) only connections that arrived on
//     a loopback address, unless WithPublicDebug: they carry error texts
//     and the tree's shape. WithHandler mounts the program's own handlers
//     (such as /metrics) on the same server, served wherever it listens.
//
// Run is the testable core of Main: it returns the exit status instead of
// exiting, and the signals, the notifier and the watchdog can be injected.
package daemon

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// Exit statuses of Main, also returned by Run.
const (
	// ExitOK: the tree stopped cleanly.
	ExitOK = 0
	// ExitFailure: the tree gave up, failed to start, left children stuck
	// or did not stop within the shutdown budget, or the options were
	// invalid.
	ExitFailure = 1
	// ExitInterrupted: a second SIGINT or SIGTERM came during the shutdown
	// (128 + SIGINT, as shells report an interrupted command).
	ExitInterrupted = 130
)

// DefaultShutdownBudget bounds the shutdown when WithShutdownBudget is not
// given: below the 30s Kubernetes (terminationGracePeriodSeconds) and
// systemd (TimeoutStopSec) wait before they send SIGKILL.
const DefaultShutdownBudget = 25 * time.Second

// ErrInterrupted is the error of Run when a second signal ended it before
// the tree had stopped.
var ErrInterrupted = errors.New("daemon: second signal during the shutdown; exiting without waiting for the tree")

// BudgetError is the error of Run when the tree did not stop within the
// shutdown budget.
type BudgetError struct {
	// Budget is the shutdown budget that was spent.
	Budget time.Duration
	// Remaining lists the paths of the children that had not stopped
	// (workers, and supervisors without children), each followed by its
	// state in parentheses, such as "root/db/pool-3 (stuck)", then the
	// stuck goroutines of the tree that are no child, such as a probe call
	// abandoned at its deadline ("root/db/pool-3/(probe) (stuck)").
	Remaining []string
}

// Error reads as "daemon: the tree did not stop within its shutdown budget
// of 25s; still running: root/db (stopping)".
func (e *BudgetError) Error() string {
	s := "daemon: the tree did not stop within its shutdown budget of " + e.Budget.String()
	if len(e.Remaining) > 0 {
		s += "; still running: " + strings.Join(e.Remaining, ", ")
	}
	return s
}

// Main runs root as the process with Run and exits with the status Run
// returns, after flushing the logger. It never returns. The options are
// Run's.
func Main(root *supervisor.Supervisor, opts ...Option) {
	code, _ := Run(context.Background(), root, opts...)
	cfg := newConfig(opts)
	// Bounded: a logger that blocks must not keep the process from exiting.
	synced := make(chan struct{})
	go func() {
		defer close(synced)
		cfg.log.sync()
	}()
	t := time.NewTimer(notifyGrace)
	select {
	case <-synced:
	case <-t.C:
	}
	os.Exit(code)
}

// Run runs root until it stops and returns the process's exit status and
// the error that decided it: 0 and nil after a clean stop; 1 and the
// root's error (an *supervisor.EscalationError, *supervisor.StartError or
// *supervisor.StuckError), a *BudgetError or a *supervisor.ConfigError for
// invalid options; 130 and ErrInterrupted after a second signal. Run logs
// that error once.
//
// The first signal, or the end of ctx, begins the graceful shutdown. The
// root runs with a context that keeps ctx's values but is cancelled by Run
// only, after STOPPING=1 is sent. ctx is user code, as for
// supervisor.Run: Run calls its Done and Value methods once, when it
// begins, in a goroutine of its own, and afterwards only receives from the
// Done channel (the cause it logs is read by its log's goroutine); a panic
// or runtime.Goexit in them ends Run with 1 and a *supervisor.ConfigError
// for Run.ctx wrapping the *supervisor.PanicError (or supervisor.ErrGoexit),
// nothing started.
//
// When it returns 130, or 1 with a *BudgetError, Run does not wait for the
// tree: its goroutines may still run, and the caller is expected to exit.
// Otherwise everything Run started has ended when it returns.
func Run(ctx context.Context, root *supervisor.Supervisor, opts ...Option) (code int, err error) {
	cfg := newConfig(opts)
	p := &proc{cfg: cfg, root: root, log: newAsyncLog(cfg.log), grace: notifyGrace}
	defer p.closeLog()
	if err := p.cfg.validate(root); err != nil { // validate completes p.cfg
		p.log.Error("invalid daemon options", zap.Error(err))
		return ExitFailure, err
	}
	return p.run(ctx)
}
