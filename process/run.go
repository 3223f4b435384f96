package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// incarnation is one run of a program: what Run starts, watches, stops
// and reaps. Its fields are set by start, before any goroutine that reads
// them is started, unless a comment says otherwise; only Run's goroutine
// changes them after that.
//
// An incarnation goes through these phases, all on Run's goroutine (the
// watchers only call actor.Ready and actor.SetStatus):
//
//	phase      what ends it                    then
//	running    the program exits               (exit by itself) rest
//	running    Run's context is done           stopping
//	rest       the group is gone               reap
//	rest       the stop timeout                SIGKILL to the group; reap once it is gone (WaitDelay at most)
//	rest       Run's context is done           rest, its stop timeout cut to the stop deadline (as stopping's)
//	stopping   the program and group are gone  reap
//	stopping   the stop timeout                SIGKILL to the group; wait for the program; reap once the group is gone (WaitDelay at most)
//	reap       cmd.Wait returns                Run returns the result
//
// In rest and stopping, the group's stop signal (and, in subreaper mode,
// the freeze that comes first) is sent on entry. cmd.Wait reaps the
// program and waits for its output to end, at most WaitDelay.
//
// Rejected: exec.CommandContext. Its Cancel runs when the context is done
// and may signal the group, but Wait then reaps the program before the
// package could see what is left of its group, and a program that exits
// by itself leaves its group to whoever notices.
type incarnation struct {
	s   *spec
	ctx context.Context // Run's context
	cmd *exec.Cmd
	pid int
	out *output
	so  *streamWriter // nil when the program writes stdout itself
	se  *streamWriter // nil when the program writes stderr itself

	// exited is closed by waitExit once the program (the group's leader)
	// has exited. On Linux it is not reaped yet then (its group id cannot
	// be reused while it is a zombie); elsewhere waitExit has reaped it
	// before closing exited.
	exited chan struct{}

	// The readiness watchers: stopped by cancelling watchCtx, joined by
	// watchers. childFiles are the program's ends of the readiness pipe,
	// closed once it has started; closers are closed at the end.
	watchCtx    context.Context
	stopWatch   context.CancelFunc
	watchers    sync.WaitGroup
	childFiles  []*os.File
	closers     []func()
	notifyWatch func() // the watcher of a NotifyFD or NotifySocket

	// killEnd is the end of the one WaitDelay window that follows a
	// SIGKILL of the package's (zero when it sent none): the wait for the
	// group to be gone, the program's reap and the wait for its output
	// share it, so that what follows a SIGKILL fits in the margin
	// stopTimeoutFor keeps before the stop deadline. Set by stop or
	// stopRest on Run's goroutine, read by finish and reap on it.
	killEnd time.Time

	sys sysState // what the operating system's part keeps
}

// Run starts the program, waits until it ends and returns how it ended
// (see ExitError). When ctx is cancelled, Run stops the program: the stop
// signal to its process group, then SIGKILL to the group after the stop
// timeout. Run returns only once the program has been reaped and its
// output read (to WaitDelay's bound); what is left of the group when the
// program exits by itself is stopped the same way first.
//
// Run returns nil after a stop it was asked for, unless the program had
// to be killed (an *ExitError wrapping ErrStopTimeout) or exited with a
// status other than success or the stop signal's; and after an exit by
// itself with a success status. On Linux, the goroutine that calls Run
// keeps its OS thread locked until the program is reaped, so that the
// program's parent-death signal fires only when the process dies.
func (p *Program) Run(ctx context.Context) error {
	s, err := p.check()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	// Pdeathsig fires when the thread that started the program ends, not
	// the process (golang/go#27505): keep this goroutine on its thread
	// until the program is reaped, so that no other goroutine can lock
	// and end that thread meanwhile.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	in := &incarnation{s: s, ctx: ctx, exited: make(chan struct{})}
	if err := in.start(); err != nil {
		return err
	}
	supervisor.SetPID(ctx, in.pid)
	defer supervisor.SetPID(ctx, 0)
	var stopped, killed bool
	select {
	case <-in.exited:
		in.stopRest()
	case <-ctx.Done():
		stopped = true
		killed = in.stop()
	}
	return in.finish(stopped, killed)
}

// start starts the program and the goroutines that watch it.
func (in *incarnation) start() error {
	s := in.s
	cmd := exec.Command(s.path, s.Args...)
	cmd.Args[0] = s.Path
	cmd.Dir = s.Dir
	cmd.WaitDelay = s.waitDelay
	cmd.Env = in.env()
	in.cmd = cmd
	in.out = newOutput(in.ctx, s.lineMax, limiter{lines: s.limit.Lines, per: s.limit.Per})
	defer close(in.out.started)
	if s.Stdout != nil {
		cmd.Stdout = s.Stdout
	} else {
		in.so = &streamWriter{o: in.out, stream: "stdout"}
		cmd.Stdout = in.so
	}
	if s.Stderr != nil {
		cmd.Stderr = s.Stderr
	} else {
		in.se = &streamWriter{o: in.out, stream: "stderr"}
		cmd.Stderr = in.se
	}
	in.watchCtx, in.stopWatch = context.WithCancel(context.Background())
	if err := in.prepareReady(); err != nil {
		in.release()
		in.out.finish(s.waitDelay)
		return startError(s.Path, err)
	}
	cmd.SysProcAttr = in.sysAttr()
	err := cmd.Start()
	for _, f := range in.childFiles {
		_ = f.Close()
	}
	if err != nil {
		in.release()
		in.out.finish(s.waitDelay)
		return startError(s.Path, err)
	}
	in.pid = cmd.Process.Pid
	in.out.pid = in.pid
	in.sysStarted()
	in.watchers.Add(1)
	go func() {
		defer in.watchers.Done()
		in.waitExit()
	}()
	in.watchReady()
	return nil
}

// env returns the program's environment: the spec's (or the process's),
// without NOTIFY_SOCKET.
func (in *incarnation) env() []string {
	env := in.s.Env
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			out = append(out, kv)
		}
	}
	return out
}

// markReady calls actor.Ready for the incarnation (from a watcher).
func (in *incarnation) markReady() { actor.Ready(in.ctx) }

// stop stops the program the supervisor asked to stop: the stop signal to
// the group, SIGKILL after the stop timeout, and a wait for the group to
// be gone. It reports whether SIGKILL had to end the program itself.
func (in *incarnation) stop() (killed bool) {
	s := in.s
	timeout := s.stopTimeoutFor(in.ctx)
	in.freeze()
	in.signal(s.stopSignal)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-in.exited:
		if gone, _ := in.waitGroupGone(t.C, nil); gone {
			return false
		}
	case <-t.C:
		killed = true
	}
	if killed {
		in.out.warnKill("program did not stop within its stop timeout: SIGKILL to its group", timeout)
	} else {
		in.out.warnKill("program stopped, but its group did not within the stop timeout: SIGKILL to what is left of it", timeout)
	}
	in.kill()
	<-in.exited
	in.waitGone()
	return killed
}

// stopRest stops what is left of the group of a program that exited by
// itself, as systemd's KillMode=control-group does: the stop signal, then
// SIGKILL after the stop timeout. A stop the supervisor asks for
// meanwhile brings the SIGKILL forward, so that it still fits before the
// supervisor's stop deadline (as in stop).
func (in *incarnation) stopRest() {
	if !in.groupAlive() {
		return
	}
	in.freeze()
	in.signal(in.s.stopSignal)
	timeout := in.s.stopTimeoutFor(in.ctx)
	end := time.Now().Add(timeout)
	t := time.NewTimer(timeout)
	defer t.Stop()
	asked := in.ctx.Done()
	for {
		gone, stopAsked := in.waitGroupGone(t.C, asked)
		if gone {
			return
		}
		if !stopAsked {
			break
		}
		asked = nil
		if d := in.s.stopTimeoutFor(in.ctx); time.Now().Add(d).Before(end) {
			t.Reset(d)
			timeout = d
		}
	}
	in.out.warnKill("program exited, but what is left of its group did not stop within the stop timeout: SIGKILL to it", timeout)
	in.kill()
	in.waitGone()
}

// kill sends SIGKILL to the group and opens the WaitDelay window that
// the rest of the incarnation shares (see killEnd).
func (in *incarnation) kill() {
	in.killEnd = time.Now().Add(in.s.waitDelay)
	in.signal(syscall.SIGKILL)
}

// waitGone waits for the group to be gone, until killEnd at most.
func (in *incarnation) waitGone() bool {
	t := time.NewTimer(time.Until(in.killEnd))
	defer t.Stop()
	gone, _ := in.waitGroupGone(t.C, nil)
	return gone
}

// waitGroupGone waits until no process of the group is left, deadline
// fires or stop is closed (a nil stop never is), and reports whether the
// group is gone and whether it returned for stop. The members of a group
// are not the package's children, so nothing tells when they are gone: it
// looks, at growing intervals (from 1ms to 50ms).
func (in *incarnation) waitGroupGone(deadline <-chan time.Time, stop <-chan struct{}) (gone, stopped bool) {
	d := time.Millisecond
	for {
		if !in.groupAlive() {
			return true, false
		}
		t := time.NewTimer(d)
		select {
		case <-deadline:
			t.Stop()
			return !in.groupAlive(), false
		case <-stop:
			t.Stop()
			return false, true
		case <-t.C:
		}
		d = min(2*d, 50*time.Millisecond)
	}
}

// finish reaps the program, ends the watchers, logs the rest of the
// output and returns the incarnation's result.
func (in *incarnation) finish(stopped, killed bool) error {
	// The output's bound (WaitDelay) is one window from the reap, shared
	// by the wait for the pipes (exec.Cmd.WaitDelay) and the drain of the
	// logging queue, so that a slow logger adds nothing to the time the
	// stop deadline leaves for it (see stopTimeoutFor). After a SIGKILL
	// the window is the one that opened with it (killEnd).
	outputBound := time.Now().Add(in.s.waitDelay)
	if !in.killEnd.IsZero() {
		outputBound = in.killEnd
	}
	waitErr := in.reap(outputBound)
	in.release()
	if in.so != nil {
		in.so.flush()
	}
	if in.se != nil {
		in.se.flush()
	}
	in.out.finish(max(time.Until(outputBound), 0))
	return in.result(waitErr, stopped, killed)
}

// release stops and joins the watchers and frees what they used.
func (in *incarnation) release() {
	in.stopWatch()
	for _, c := range in.closers {
		c()
	}
	in.watchers.Wait()
	in.sysDone()
}

// result turns the program's end into Run's error.
func (in *incarnation) result(waitErr error, stopped, killed bool) error {
	s := in.s
	var ee *exec.ExitError
	switch {
	case waitErr == nil, errors.Is(waitErr, exec.ErrWaitDelay):
	case errors.As(waitErr, &ee):
	default:
		return fmt.Errorf("process: wait for %s (pid %d): %w", s.Path, in.pid, waitErr)
	}
	ws, _ := in.cmd.ProcessState.Sys().(syscall.WaitStatus)
	e := &ExitError{Path: s.Path, PID: in.pid, Status: in.cmd.ProcessState.ExitCode()}
	if ws.Signaled() {
		e.Status, e.Signal = -1, ws.Signal()
	}
	success, prevent := s.exitMeaning(e.Status)
	switch {
	case stopped && !haveSignals:
		return nil // the stop is a kill
	case stopped && killed && e.Signal == syscall.SIGKILL:
		e.Err = ErrStopTimeout
		return e
	case stopped && (e.Signal == s.stopSignal || e.Status == 128+int(s.stopSignal) || success):
		return nil
	case e.Signal != 0:
		return e
	case success:
		return nil
	case prevent:
		e.Err = policy.ErrDoNotRestart
	}
	return e
}
