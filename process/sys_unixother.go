//go:build unix && !linux

package process

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// haveSubreaper tells whether Program.Subreaper is available: on Linux
// only.
const haveSubreaper = false

// sysState is what this system's part keeps of an incarnation.
type sysState struct {
	waitErr error // what waitExit's reap returned; set before exited is closed
}

// sysAttr returns the program's attributes: a process group of its own.
// There is no parent-death signal and no pidfd here.
func (in *incarnation) sysAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func (in *incarnation) sysStarted() {}
func (in *incarnation) sysDone()    {}
func (in *incarnation) freeze()     {}

// waitExit waits until the program has exited and reaps it: this system
// has no waitid with WNOWAIT in golang.org/x/sys. What is left of its
// group is signalled after that; the group's id stays in use while any
// member is alive, so only a group made anew under the same id after
// every member has gone could be reached (see the package docs).
func (in *incarnation) waitExit() {
	defer close(in.exited)
	in.sys.waitErr = in.cmd.Wait()
}

// reap returns what waitExit's reap returned (its output's wait was
// bounded there, by WaitDelay).
func (in *incarnation) reap(time.Time) error {
	<-in.exited
	return in.sys.waitErr
}

// signal sends sig to the program's group.
func (in *incarnation) signal(sig syscall.Signal) { signalGroup(in.pid, sig, false) }

// groupAlive reports whether a process of the program's group is left
// (the program itself has been reaped when it is called).
func (in *incarnation) groupAlive() bool { return unix.Kill(-in.pid, 0) == nil }
