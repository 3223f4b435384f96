//go:build linux

package process_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/process"
	"golang.org/x/sys/unix"
)

// shell returns a Program running script with /bin/sh; args become $1...
// Its PATH finds the test binary as setsid first (see setsidPath).
func shell(script string, args ...string) *process.Program {
	env := os.Environ()
	if dir, err := setsidPath(); err == nil {
		env = append(env, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	return &process.Program{Path: "/bin/sh", Args: append([]string{"-c", script, "sh"}, args...), Env: env}
}

// running is a Program's Run in a goroutine of its own, outside any
// supervisor: ready is closed when the incarnation calls actor.Ready, and
// done receives Run's error.
type running struct {
	cancel context.CancelFunc
	ready  chan struct{}
	done   chan error
}

func start(t *testing.T, p *process.Program) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, ready: make(chan struct{}), done: make(chan error, 1)}
	readyOnce := false
	ctx = actor.WithReady(ctx, func() {
		if !readyOnce {
			readyOnce = true
			close(r.ready)
		}
	})
	go func() { r.done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// awaitReady waits until the program is ready, failing t if Run returns
// first.
func (r *running) awaitReady(t *testing.T) {
	t.Helper()
	select {
	case <-r.ready:
	case err := <-r.done:
		r.done <- err
		t.Fatalf("Run returned before the program was ready: %v", err)
	}
}

// stop cancels Run's context and returns how long Run took to return, and
// Run's error.
func (r *running) stop() (time.Duration, error) {
	t0 := time.Now()
	r.cancel()
	err := <-r.done
	r.done <- err // for the cleanup
	return time.Since(t0), err
}

// stat is a process's state, parent and group, read from /proc.
type stat struct {
	state           byte
	ppid, pgrp, sid int
}

func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+2:])
	var s stat
	s.state = f[0][0]
	s.ppid, _ = strconv.Atoi(string(f[1]))
	s.pgrp, _ = strconv.Atoi(string(f[2]))
	s.sid, _ = strconv.Atoi(string(f[3]))
	return s, true
}

// procs returns the pids of the processes in /proc that match.
func procs(match func(pid int, s stat) bool) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := readStat(pid); ok && match(pid, s) {
			out = append(out, pid)
		}
	}
	return out
}

// liveInGroup returns the processes of group pgid that are alive (not
// zombies).
func liveInGroup(pgid int) []int {
	return procs(func(_ int, s stat) bool { return s.pgrp == pgid && s.state != 'Z' && s.state != 'X' })
}

// alive reports whether pid is a live process (not a zombie).
func alive(pid int) bool {
	s, ok := readStat(pid)
	return ok && s.state != 'Z' && s.state != 'X'
}

// awaitExit blocks until pid has exited (it need not be a child), using a
// pidfd. It fails t shortly before the test binary's deadline
// (testutil.Deadline): a bound against a hang, not a guess at how long a
// busy machine takes.
func awaitExit(t *testing.T, pid int) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return
	}
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := testutil.Deadline(t)
	for {
		wait := -1 // no deadline: poll until the process exits
		if !deadline.IsZero() {
			wait = max(0, int(time.Until(deadline)/time.Millisecond))
		}
		n, err := unix.Poll(fds, wait)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			t.Fatalf("process %d still alive at the test binary's deadline (poll: %v)", pid, err)
		}
		return
	}
}

// kill kills pid at the end of the test, if a test left it behind.
func killAtCleanup(t *testing.T, pid int) {
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
}

// fifo makes a named pipe in a temporary directory.
func fifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "release")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// release writes a line to the fifo at p, blocking until the program has
// opened it: then the program reads it and goes on.
func release(t *testing.T, p string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("go\n"); err != nil {
		t.Fatal(err)
	}
}

// readPID reads a pid a fixture wrote to a file, once it is there (the
// fixture writes it before it tells that it is ready).
func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s holds %q", path, b)
	}
	return pid
}

// helper returns a Program running the test binary in helper mode.
func helper(t *testing.T, mode string, env ...string) *process.Program {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &process.Program{Path: exe, Env: append(append(os.Environ(), helperEnv+"="+mode), env...)}
}

// runtimeLockOSThread locks the calling goroutine to its thread and
// returns without unlocking it: the thread ends with the goroutine.
func runtimeLockOSThread() { runtime.LockOSThread() }

// fmtSscan parses fields into ints.
func fmtSscan(fields []string, out ...*int) (int, error) {
	if len(fields) != len(out) {
		return 0, fmt.Errorf("%d fields, want %d", len(fields), len(out))
	}
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			return i, err
		}
		*out[i] = n
	}
	return len(out), nil
}
