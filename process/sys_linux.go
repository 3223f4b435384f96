package process

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// haveSubreaper tells whether Program.Subreaper is available.
const haveSubreaper = true

// sysState is what the Linux part keeps of an incarnation.
type sysState struct {
	pidfd int   // the program's pidfd, or -1 where the kernel has none
	sub   *tree // the program's descendants, in subreaper mode; else nil
}

// sysAttr returns the program's attributes: a process group of its own,
// SIGKILL when the thread that started it ends (Run keeps that thread
// locked until the program is reaped), and a pidfd.
func (in *incarnation) sysAttr() *syscall.SysProcAttr {
	in.sys.pidfd = -1
	if in.s.Subreaper {
		in.sys.sub = newTree()
		in.cmd.Env = append(in.cmd.Env, in.sys.sub.mark)
		enableSubreaper()
	}
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, PidFD: &in.sys.pidfd}
}

// sysStarted is called once the program has started.
func (in *incarnation) sysStarted() {
	if in.sys.sub != nil {
		in.sys.sub.register(in.pid)
	}
}

// waitExit waits until the program has exited, without reaping it
// (WNOWAIT): until Run reaps it, its pid and its group id cannot be
// reused, so that signalling its group reaches only its own processes. It
// waits on the pidfd where the kernel has one.
func (in *incarnation) waitExit() {
	defer close(in.exited)
	var info unix.Siginfo
	for {
		var err error
		if in.sys.pidfd >= 0 {
			err = unix.Waitid(unix.P_PIDFD, in.sys.pidfd, &info, unix.WEXITED|unix.WNOWAIT, nil)
		} else {
			err = unix.Waitid(unix.P_PID, in.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		}
		if err != unix.EINTR {
			return
		}
	}
}

// reap reaps the program and waits for its output until bound at most
// (exec.Cmd.WaitDelay, which nothing else reads here: the command has no
// context, and only Run's goroutine calls Wait).
func (in *incarnation) reap(bound time.Time) error {
	in.cmd.WaitDelay = max(time.Until(bound), time.Nanosecond) // 0 would mean no bound
	return in.cmd.Wait()
}

// signal sends sig to the program's group (and, in subreaper mode, to the
// groups and processes of its recorded descendants).
func (in *incarnation) signal(sig syscall.Signal) {
	if in.sys.sub != nil {
		in.sys.sub.signal(sig)
		return
	}
	signalGroup(in.pid, sig, false)
}

// freeze stops (SIGSTOP) the group and records its members and their
// descendants before they are signalled: in subreaper mode only.
func (in *incarnation) freeze() {
	if in.sys.sub != nil {
		in.sys.sub.freeze()
	}
}

// groupAlive reports whether a process of the program's group other than
// the program itself is alive (in subreaper mode: or a recorded
// descendant, alive or a zombie still to reap).
func (in *incarnation) groupAlive() bool {
	if in.sys.sub != nil {
		return in.sys.sub.alive()
	}
	for _, p := range freshScan() {
		if p.pgrp == in.pid && p.pid != in.pid && !p.dead() {
			return true
		}
	}
	return false
}

// sysDone frees what the incarnation used.
func (in *incarnation) sysDone() {
	if in.sys.sub != nil {
		in.sys.sub.unregister()
	}
	if in.pid != 0 && in.sys.pidfd >= 0 { // pidfd is set only by a start that succeeded
		_ = unix.Close(in.sys.pidfd)
		in.sys.pidfd = -1
	}
}
