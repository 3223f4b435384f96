//go:build linux

package process_test

import (
	"testing"
	"time"

	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// The SIGKILL brought forward to a child's stop deadline leaves a slack
// that grows with the time left (a fifth of it), not only a share of
// WaitDelay: with a WaitDelay of 1ms, a quarter of it (250µs) was all the
// time the kill, the reap and the child's return had before the
// deadline, and the child was reported stuck.

func TestAStopWithATinyWaitDelayStillKillsTheProgramBeforeTheShutdownTimeout(t *testing.T) {
	p := shell(`trap '' TERM; echo >&3; exec sleep 3600`)
	p.Ready = process.NotifyFD{FD: 3}
	p.StopTimeout = time.Hour
	p.WaitDelay = time.Millisecond
	sup := supervisortest.New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: p, WaitReady: true, ShutdownTimeout: 3 * time.Second},
	))
	stop, ran := runTree(t, sup)
	awaitTreeReady(t, sup, ran)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil: the program is killed early enough for the child to return before its shutdown timeout", err)
	}
}

func TestAStopOfWhatIsLeftOfTheGroupWithATinyWaitDelayStillFitsTheShutdownTimeout(t *testing.T) {
	stopDuringTheStopOfWhatIsLeft(t, time.Millisecond)
}
