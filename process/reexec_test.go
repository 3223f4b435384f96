//go:build linux

package process_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
)

// reexec runs the test binary in helper mode as a supervising process of
// its own, with its stdout piped back.
func reexec(t *testing.T, mode string, env ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := setsidPath()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode, binDirEnv+"="+dir, "TMPDIR="+t.TempDir()), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(out)
}

func TestProgramsDieWhenTheSupervisingProcessIsKilled(t *testing.T) {
	cmd, out := reexec(t, "pdeathsig")
	if !out.Scan() {
		t.Fatalf("the supervising copy said nothing: %v", out.Err())
	}
	var pid int
	if _, err := fmt.Sscanf(out.Text(), "ready %d", &pid); err != nil {
		t.Fatalf("the supervising copy said %q", out.Text())
	}
	killAtCleanup(t, pid)
	if !alive(pid) {
		t.Fatalf("program %d is not running", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	awaitExit(t, pid) // fails the test if the program lives on
	t.Logf("program died %v after the SIGKILL of its supervising process", time.Since(t0))
}

// helperPdeathsig runs a tree with one program, prints "ready <pid>" once
// it is ready, and waits to be killed.
func helperPdeathsig() int {
	dir, err := os.MkdirTemp("", "arbor-pdeathsig-")
	if err != nil {
		return 1
	}
	defer os.RemoveAll(dir)
	pidFile := filepath.Join(dir, "pid")
	// The program would outlive the test's one-minute bound by far.
	p := shell(`echo $$ > "$1"; echo >&3; exec sleep 3600`, pidFile)
	p.Ready = process.NotifyFD{FD: 3}
	sup, err := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: p, WaitReady: true},
		// Busy goroutines that lock and unlock threads: the program's
		// parent-death signal must not fire when one of them ends.
		supervisor.Child{Name: "churn", Actor: actor.Func(churn)},
	))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		err := sup.Run(context.Background())
		fmt.Fprintln(os.Stderr, "Run returned:", err)
		cancel()
	}()
	if err := sup.WaitReady(ctx); err != nil {
		return 1
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 1
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// Threads end by the thousand meanwhile: the program must live on.
	<-churned
	if !alive(pid) {
		fmt.Printf("program %d died while threads of its supervising process ended\n", pid)
		return 1
	}
	fmt.Printf("ready %d\n", pid)
	select {}
}

// churned is closed once churn has ended churnThreads threads.
var churned = make(chan struct{})

const churnThreads = 2000

// churn starts goroutines that lock their thread and exit locked (which
// ends their thread), until ctx is done.
func churn(ctx context.Context) error {
	for i := 1; ctx.Err() == nil; i++ {
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtimeLockOSThread()
		}()
		<-done
		if i == churnThreads {
			close(churned)
		}
	}
	return nil
}

func TestSubreaperKillsEscapedDescendants(t *testing.T) {
	cmd, out := reexec(t, "subreaper")
	var lines []string
	for out.Scan() {
		lines = append(lines, out.Text())
	}
	err := cmd.Wait()
	for _, l := range lines {
		t.Log(l)
	}
	if err != nil {
		t.Fatalf("the subreaper copy failed: %v", err)
	}
	if len(lines) == 0 || lines[len(lines)-1] != "ok" {
		t.Fatalf("the subreaper copy did not report ok")
	}
}

// helperSubreaper runs, in subreaper mode, a program that leaves two
// escapees (one that called setsid, one after a double fork and setsid),
// stops it, and checks that both escapees are gone and reaped, and that
// another os/exec user's child kept its exit status meanwhile. It prints
// what it finds and "ok" last on success.
func helperSubreaper() int {
	dir, err := os.MkdirTemp("", "arbor-subreaper-")
	if err != nil {
		return 1
	}
	defer os.RemoveAll(dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	// Each escapee notes the stop signal in <its pid file>.term: it must
	// be stopped the same way as the program, not only killed.
	escapee := `trap 'echo > "$1.term"; exit 0' TERM; echo $$ > "$1.fifo"; sleep 60 & wait`
	p := shell(`
		mkfifo "$1.fifo" "$2.fifo"
		setsid sh -c "$3" sh "$1" &
		( setsid sh -c "$3" sh "$2" & )
		read pa < "$1.fifo"; read pb < "$2.fifo"
		echo $pa > "$1"; echo $pb > "$2"
		echo >&3
		exec sleep 60`, a, b, escapee)
	p.Ready = process.NotifyFD{FD: 3}
	p.Subreaper = true
	p.StopTimeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- p.Run(actor.WithReady(ctx, func() { close(ready) })) }()
	select {
	case <-ready:
	case err := <-done:
		fmt.Println("Run returned before ready:", err)
		return 1
	}
	var pids []int
	for _, f := range []string{a, b} {
		s, _ := os.ReadFile(f)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(s)))
		pids = append(pids, pid)
		st, _ := readStat(pid)
		fmt.Printf("escapee %d: session %d, group %d, parent %d (self %d)\n", pid, st.sid, st.pgrp, st.ppid, os.Getpid())
	}
	// Another os/exec user in the same process keeps its exit status.
	other := exec.Command("/bin/sh", "-c", "exit 7")
	oerr := other.Run()
	var ee *exec.ExitError
	if !errors.As(oerr, &ee) || ee.ExitCode() != 7 {
		fmt.Println("another os/exec child lost its exit status:", oerr)
		return 1
	}
	cancel()
	if err := <-done; err != nil {
		fmt.Println("Run =", err)
		return 1
	}
	status := 0
	for i, pid := range pids {
		if _, ok := readStat(pid); ok {
			fmt.Printf("escapee %d still exists after the stop\n", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			status = 1
		}
		if _, err := os.Stat([]string{a, b}[i] + ".term"); err != nil {
			fmt.Printf("escapee %d did not get the stop signal\n", pid)
			status = 1
		}
	}
	if status == 0 {
		fmt.Println("ok")
	}
	return status
}
