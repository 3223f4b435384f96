//go:build unix

package process

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// haveSignals tells whether a stop is a signal (rather than a kill).
const haveSignals = true

// signalGroup sends sig to the process group pgid, then SIGCONT if cont
// (a stopped process acts on a signal only once continued).
func signalGroup(pgid int, sig syscall.Signal, cont bool) {
	_ = unix.Kill(-pgid, sig)
	if cont && sig != syscall.SIGKILL && sig != syscall.SIGCONT {
		_ = unix.Kill(-pgid, syscall.SIGCONT)
	}
}
