package daemon

import (
	"context"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/internal/errwalk"
	"github.com/arbor-go/arbor/internal/oneline"
	"github.com/arbor-go/arbor/supervisor"
	sd "github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// proc is one Run. Its fields are owned by the goroutine of Run, with one
// exception, notifyFailed, owned by the notifications' sender: the other
// goroutines it starts (the root's run, the readiness wait, the health
// server) talk to it only through channels, and the sender and the log
// writer through their own queues (see sender and asyncLog, which say
// what their locks guard), so no lock guards a field of proc.
type proc struct {
	cfg      config
	root     *supervisor.Supervisor
	rootPath string    // the root's tree path, to recognise its own events
	log      *asyncLog // writes the entries from a goroutine of its own

	cancel context.CancelFunc // cancels the root's context
	// ready is closed when the tree is first ready; nil once READY=1 was
	// queued, or once STOPPING=1 was queued before the tree was ready (a
	// READY=1 after STOPPING=1 would say the opposite of what happened).
	ready       chan struct{}
	cancelled   bool             // the shutdown was asked for (signal or ctx)
	stopping    bool             // STOPPING=1 was queued
	budget      <-chan time.Time // fires when the shutdown budget is spent; nil before the shutdown
	budgetTimer *time.Timer
	notes       *sender // sends the notifications from a goroutine of its own
	// grace is how long Run waits at its end for the notifications still
	// queued: notifyGrace, 0 after a second signal.
	grace time.Duration
	// failureTold: a STATUS= line saying why the exit is non-zero was
	// queued (the root gave up, a child is stuck after STOPPING=1, the
	// budget), so finish need not say it again.
	failureTold bool

	// notifyFailed is set by the sender's goroutine, the only one that
	// reads it: a notification failed already (later failures log at
	// Debug).
	notifyFailed bool
}

// run is Run after validation.
func (p *proc) run(ctx context.Context) (int, error) {
	view, err := readContext(ctx) // user code: never called on this goroutine
	if err != nil {
		return p.fail(err)
	}
	p.rootPath = view.path // a root run inside a child's context takes that child's path
	if p.rootPath == "" {
		p.rootPath = p.root.Name()
	}
	sub, err := p.root.Subscribe(p.cfg.events)
	if err != nil {
		return p.fail(err)
	}
	defer sub.Close()

	sigs := p.cfg.signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}

	if p.cfg.healthAddr != "" {
		srv, err := startHealthServer(p.cfg.healthAddr, p.cfg.mux, log.New(serverLog{p.log}, "", 0))
		if err != nil {
			return p.fail(err)
		}
		defer srv.close()
		p.log.Info("health server listening", zap.String("addr", srv.addr), zap.Bool("pprof", p.cfg.pprof))
	}

	// Notifications go through a goroutine of their own: nothing sent may
	// delay a signal, the budget or the tree's events.
	p.notes = newSender(p.cfg.notifier, p.notifyFailure)
	defer p.closeNotes()

	var tick <-chan time.Time
	if p.cfg.watchdog > 0 {
		t := time.NewTicker(p.cfg.watchdog / 2)
		defer t.Stop()
		tick = t.C
	}
	defer func() {
		if p.budgetTimer != nil {
			p.budgetTimer.Stop()
		}
	}()

	// The root's context keeps ctx's values but is cancelled only here,
	// once STOPPING=1 is queued (not necessarily delivered).
	treeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	p.cancel = cancel
	done := make(chan error, 1) // buffered: the root may return after Run did
	go func() { done <- p.root.Run(treeCtx) }()

	waitCtx, stopWait := context.WithCancel(context.Background())
	defer stopWait()
	ready := make(chan struct{})
	p.ready = ready
	go func() {
		if p.root.WaitReady(waitCtx) == nil {
			close(ready)
		}
	}()

	events, ctxDone := sub.Events(), view.done
	for {
		select {
		case <-p.ready:
			p.ready = nil
			p.readied()
		case ev := <-events:
			p.event(ev)
		case sig := <-sigs:
			if p.cancelled {
				p.grace = 0 // exit at once: no wait for the service manager
				return p.interrupted(sig)
			}
			p.log.Info("signal received; shutting down (send it again to exit at once)", zap.Stringer("signal", sig))
			p.shutdown()
		case <-ctxDone:
			ctxDone = nil
			if !p.cancelled {
				p.log.Info("context done; shutting down", zap.Stringer("cause", causeOf{ctx}))
				p.shutdown()
			}
		case <-tick:
			if alive, _ := p.root.Liveness(); alive {
				p.notes.ping()
			}
		case <-p.budget:
			return p.budgetSpent()
		case err := <-done:
			p.drain(events)
			p.beginStopping()
			return p.finish(err)
		}
	}
}

// shutdown begins the graceful shutdown that a signal or the end of Run's
// context asks for: STOPPING=1 is queued, then the root's context is
// cancelled and the budget armed at once, without waiting for the
// notification to be delivered.
func (p *proc) shutdown() {
	p.cancelled = true
	p.beginStopping()
	p.cancel()
}

// readied queues READY=1: the tree is first ready.
func (p *proc) readied() {
	p.notes.push(sd.SdNotifyReady)
	p.log.Info("tree ready")
}

// beginStopping queues STOPPING=1 and starts the shutdown budget, once.
func (p *proc) beginStopping() {
	if p.stopping {
		return
	}
	p.stopping = true
	// The tree may have become ready just before this, unseen by the loop:
	// READY=1 goes first then. Otherwise it never goes: the readiness
	// that comes after the shutdown began is not reported.
	select {
	case <-p.ready:
		p.readied()
	default:
	}
	p.ready = nil
	p.notes.push(sd.SdNotifyStopping)
	if p.cfg.budget > 0 {
		p.budgetTimer = time.NewTimer(p.cfg.budget)
		p.budget = p.budgetTimer.C
	}
}

// event turns the tree's escalations and stuck children into STATUS=
// lines, and notices the root beginning to stop by itself. After
// STOPPING=1, only what makes the exit non-zero is a STATUS= line: a
// subtree that gives up during a clean drain is not (systemctl status
// would show a failure for a clean stop), while the root giving up, or a
// child stuck, is.
func (p *proc) event(ev supervisor.Event) {
	switch ev.Kind {
	case supervisor.EventEscalated:
		rootGaveUp := ev.Path == p.rootPath
		if p.stopping && !rootGaveUp {
			return
		}
		p.failureTold = p.failureTold || rootGaveUp
		p.notes.status(oneLine(ev.ErrText)) // never ev.Err.Error(): see Event.ErrText
	case supervisor.EventStopTimeout:
		p.failureTold = p.failureTold || p.stopping
		p.notes.status(oneLine(ev.Path + " is stuck: it did not stop within " + ev.Delay.String()))
	case supervisor.EventShutdown:
		if ev.Child == "" && ev.Path == p.rootPath {
			p.beginStopping()
		}
	}
}

// drain handles the events already delivered when the root returned, so
// that the root's own escalation reaches the service manager.
func (p *proc) drain(events <-chan supervisor.Event) {
	for {
		select {
		case ev := <-events:
			p.event(ev)
		default:
			return
		}
	}
}

// finish logs the root's result once and turns it into the exit status.
// The last STATUS= line says how it ended: "stopped cleanly", or why the
// exit is non-zero when no line said it since STOPPING=1 (a failed start).
func (p *proc) finish(err error) (int, error) {
	if err == nil {
		p.notes.status("stopped cleanly")
		p.log.Info("stopped cleanly")
		return ExitOK, nil
	}
	if !p.failureTold {
		p.notes.status(oneLine(errwalk.Message(err)))
	}
	fields := []zap.Field{zap.Error(err)}
	// err wraps the children's errors: their methods are user code, which
	// even the guarded walk cannot stop from blocking or calling
	// runtime.Goexit on the process's main goroutine. The stuck report is
	// the supervisor's own, read without them.
	if stuck := supervisor.StuckOf(err); stuck != nil {
		fields = append(fields, zap.Array("stuck", stuckReport(stuck.Stuck)))
	}
	p.log.Error("stopped with an error", fields...)
	return ExitFailure, err
}

// fail logs an error that ends Run before the tree has started.
func (p *proc) fail(err error) (int, error) {
	p.log.Error("cannot start", zap.Error(err))
	return ExitFailure, err
}

// interrupted ends Run at once on a second signal.
func (p *proc) interrupted(sig os.Signal) (int, error) {
	p.log.Error("second signal; exiting at once", zap.Stringer("signal", sig),
		zap.Strings("remaining", remaining(p.root.Snapshot())), zap.Error(ErrInterrupted))
	return ExitInterrupted, ErrInterrupted
}

// budgetSpent ends Run when the shutdown took longer than its budget,
// with a report of what still runs.
func (p *proc) budgetSpent() (int, error) {
	snap := p.root.Snapshot()
	_, stuck := p.root.Liveness()
	err := &BudgetError{Budget: p.cfg.budget, Remaining: withStuck(remaining(snap), stuck)}
	p.failureTold = true
	p.notes.status(oneLine(err.Error()))
	p.log.Error("stopped with an error", zap.Error(err), zap.String("tree", snap.String()))
	return ExitFailure, err
}

// notifyFailure logs a failed notification: at Warn the first time and at
// Debug afterwards, as the watchdog would repeat it every few seconds.
// Called by the sender's goroutine only.
func (p *proc) notifyFailure(state string, err error) {
	if p.notifyFailed {
		p.log.Debug("service manager notification failed", zap.String("state", state), zap.Error(err))
		return
	}
	p.notifyFailed = true
	p.log.Warn("service manager notification failed (further failures are logged at debug level)",
		zap.String("state", state), zap.Error(err))
}

// closeNotes waits up to the grace for the queued notifications to be
// sent, and says so, once, when the notifier is abandoned still blocked.
func (p *proc) closeNotes() {
	blocked, unsent, ok := p.notes.close(p.grace)
	if ok {
		return
	}
	p.log.Warn("service manager notifier blocked; abandoned", zap.String("state", blocked),
		zap.Int("unsent", unsent), zap.Duration("waited", p.grace))
}

// closeLog waits up to notifyGrace for the queued log entries (the final
// error among them), after a second signal too, then abandons a logger
// still blocked: nothing is left to report that to.
func (p *proc) closeLog() {
	p.log.close(time.Now().Add(notifyGrace))
}

// withStuck adds to remaining, as "path (stuck)", the stuck paths that it
// does not list: goroutines that are no node of the tree, such as a probe
// call that never returned ("root/w/(probe)") or a hook's.
func withStuck(remaining, stuck []string) []string {
	listed := make(map[string]bool, len(remaining))
	for _, r := range remaining {
		path, _, _ := strings.Cut(r, " (")
		listed[path] = true
	}
	for _, p := range stuck {
		if !listed[p] {
			listed[p] = true
			remaining = append(remaining, p+" (stuck)")
		}
	}
	return remaining
}

// remaining lists the nodes of snap that have not stopped: workers, and
// supervisors without children, as "path (state)".
func remaining(snap supervisor.Snapshot) []string {
	var out []string
	var walk func(n supervisor.Snapshot)
	walk = func(n supervisor.Snapshot) {
		for _, c := range n.Children {
			walk(c)
		}
		if len(n.Children) == 0 && n.State != supervisor.StateStopped {
			out = append(out, n.Path+" ("+n.State.String()+")")
		}
	}
	walk(snap)
	return out
}

// oneLine makes s fit one notification line: runs of white space,
// newlines included, become one space, the other control characters are
// escaped (as "\x1b"; the supervisor's one-line texts have none left), and
// it is cut to a reasonable length.
func oneLine(s string) string {
	const limit = 1024
	s = oneline.Escape(strings.Join(strings.Fields(s), " "))
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit-3], "") + "..."
	}
	return s
}

// stuckReport is the stuck children as a zap array of objects.
type stuckReport []supervisor.StuckChild

// MarshalLogArray encodes each stuck child's path, wait and stack.
func (r stuckReport) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, c := range r {
		if err := enc.AppendObject(stuckChild(c)); err != nil {
			return err
		}
	}
	return nil
}

// stuckChild is one stuck child as a zap object.
type stuckChild supervisor.StuckChild

// MarshalLogObject encodes the child's path, how long it was waited for,
// the pid of the program it runs (if it runs one) and its stack.
func (c stuckChild) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("path", c.Path)
	enc.AddDuration("waited", c.Waited)
	if c.PID != 0 {
		enc.AddInt("pid", c.PID)
	}
	enc.AddString("stack", c.Stack)
	return nil
}
