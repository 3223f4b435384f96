package process

import (
	"syscall"
	"time"
)

// haveSubreaper tells whether Program.Subreaper is available: on Linux
// only.
const haveSubreaper = false

// haveSignals tells whether a stop is a signal: on Windows it is a kill.
const haveSignals = false

// sysState is what this system's part keeps of an incarnation.
type sysState struct {
	waitErr error // what waitExit's reap returned; set before exited is closed
}

// sysAttr returns the program's attributes: none. Windows has no process
// group to signal here, and no stop signal: a stop kills the program
// (TerminateProcess), not its descendants.
func (in *incarnation) sysAttr() *syscall.SysProcAttr { return nil }

func (in *incarnation) sysStarted() {}
func (in *incarnation) sysDone()    {}
func (in *incarnation) freeze()     {}

// waitExit waits until the program has exited and reaps it.
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

// signal kills the program, whatever sig is.
func (in *incarnation) signal(syscall.Signal) { _ = in.cmd.Process.Kill() }

// groupAlive reports false: there is no group to look at.
func (in *incarnation) groupAlive() bool { return false }
