//go:build linux

package process_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

func TestProgramIgnoringTheStopSignalIsKilledAfterTheStopTimeout(t *testing.T) {
	p := shell(`trap '' TERM; echo >&3; exec sleep 60`)
	p.Ready = process.NotifyFD{FD: 3}
	p.StopTimeout = 100 * time.Millisecond
	r := start(t, p)
	r.awaitReady(t)
	took, err := r.stop()
	var ee *process.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Run = %v, want an *ExitError", err)
	}
	if ee.Signal != syscall.SIGKILL || ee.Status != -1 {
		t.Errorf("ExitError = %+v, want killed by SIGKILL", ee)
	}
	if !errors.Is(err, process.ErrStopTimeout) {
		t.Errorf("Run = %v, want it to wrap ErrStopTimeout", err)
	}
	if want := "ended by signal 9 (killed): process: killed after the stop timeout"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Run = %q, want it to end with %q", err, want)
	}
	t.Logf("lateness: Run returned %v after the stop, %v after the SIGKILL was due", took, took-p.StopTimeout)
}

func TestProgramStoppingOnTheStopSignalReturnsNil(t *testing.T) {
	p := shell(`echo >&5; exec sleep 60`)
	p.Ready = process.NotifyFD{FD: 5} // descriptors 3 and 4 are closed in the program
	r := start(t, p)
	r.awaitReady(t)
	if took, err := r.stop(); err != nil {
		t.Fatalf("Run = %v, want nil after a stop on SIGTERM", err)
	} else {
		t.Logf("stop on SIGTERM took %v", took)
	}
}

func TestStopLeavesNoProcessOfTheGroupBehind(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	p := shell(`echo $$ > "$1"; sleep 60 & echo >&3; exec sleep 60`, pidFile)
	p.Ready = process.NotifyFD{FD: 3}
	r := start(t, p)
	r.awaitReady(t)
	pid := readPID(t, pidFile)
	if n := len(liveInGroup(pid)); n != 2 {
		t.Fatalf("%d live processes in the program's group before the stop, want 2", n)
	}
	if _, err := r.stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if left := liveInGroup(pid); len(left) > 0 {
		t.Fatalf("processes %v of the group outlived the stop", left)
	}
}

func TestExitByItselfStopsWhatIsLeftOfTheGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The background sleep ignores SIGTERM (the program exits once it
	// does): the stop timeout's SIGKILL ends it.
	p := shell(`mkfifo "$1.fifo"; sh -c 'trap "" TERM; echo $$ > "$1.fifo"; exec sleep 60' sh "$1" &
		read pid < "$1.fifo"; echo $pid > "$1"; exit 0`, pidFile)
	p.StopTimeout = 50 * time.Millisecond
	r := start(t, p)
	err := <-r.done
	r.done <- err
	if err != nil {
		t.Fatalf("Run = %v, want nil for exit status 0", err)
	}
	bg := readPID(t, pidFile)
	killAtCleanup(t, bg)
	if s, ok := readStat(bg); ok && s.pgrp != 0 && s.state != 'Z' {
		t.Fatalf("the program's background process %d (group %d) outlived it", bg, s.pgrp)
	}
	if alive(bg) {
		t.Fatalf("the program's background process %d outlived it", bg)
	}
}

func TestGrandchildHoldingStdoutCannotDelayTheStopPastItsBound(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// setsid takes the grandchild out of the group: the group's signals
	// miss it, and it keeps the program's stdout open.
	// The grandchild tells readiness itself, once it has left the group.
	p := shell(`setsid sh -c 'echo $$ > "$1"; echo >&3; exec sleep 60 3>&-' sh "$1" & exec sleep 60 3>&-`, pidFile)
	p.Ready = process.NotifyFD{FD: 3}
	p.WaitDelay = 200 * time.Millisecond
	r := start(t, p)
	r.awaitReady(t)
	escapee := readPID(t, pidFile)
	killAtCleanup(t, escapee)
	took, err := r.stop()
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if !alive(escapee) {
		t.Fatalf("the escaped grandchild %d is gone: the test proves nothing", escapee)
	}
	t.Logf("Run returned %v after the stop with the grandchild holding stdout (bound: WaitDelay %v)", took, p.WaitDelay)
}

func TestReadinessGivenAsAPointerWorks(t *testing.T) {
	p := shell(`echo >&3; exec sleep 60`)
	p.Ready = &process.NotifyFD{FD: 3}
	r := start(t, p)
	r.awaitReady(t)
	if _, err := r.stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}

func TestStopTimeoutIsCutToFitTheChildsShutdownTimeout(t *testing.T) {
	// The program ignores SIGTERM and its stop timeout is an hour; the
	// child's shutdown timeout is 3s: SIGKILL comes early enough (3s minus
	// WaitDelay and a fifth of 3s) that the child is not reported stuck.
	p := shell(`trap '' TERM; echo >&3; exec sleep 3600`)
	p.Ready = process.NotifyFD{FD: 3}
	p.StopTimeout = time.Hour
	p.WaitDelay = time.Second
	sup := supervisortest.New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: p, WaitReady: true, ShutdownTimeout: 3 * time.Second},
	))
	stop, ran := runTree(t, sup)
	awaitTreeReady(t, sup, ran)
	t0 := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil: the program is killed before its shutdown timeout", err)
	}
	t.Logf("stopped in %v (SIGKILL due after 1.4s, shutdown timeout 3s)", time.Since(t0))
}

func TestWatchdogMessagesAreHeartbeats(t *testing.T) {
	f := fifo(t)
	p := helper(t, "notify", "ARBOR_FIFO="+f)
	p.Ready = process.NotifySocket{}
	beats := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	ctx = actor.WithBeat(ctx, func() { beats <- struct{}{} })
	ready := make(chan struct{}, 1)
	ctx = actor.WithReady(ctx, func() { ready <- struct{}{} })
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	release(t, f) // READY=1
	testutil.Receive(t, ready, "readiness")
	for range 3 {
		release(t, f) // WATCHDOG=1
		testutil.Receive(t, beats, "a heartbeat after WATCHDOG=1")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}
