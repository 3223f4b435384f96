//go:build linux

package process_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

func TestBadSpecIsAConfigErrorWhenTheChildIsAdded(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-exec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		p     *process.Program
		field string
		is    error
	}{
		{"empty path", &process.Program{}, "Program.Path", exec.ErrNotFound},
		{"no such file", &process.Program{Path: filepath.Join(dir, "missing")}, "Program.Path", fs.ErrNotExist},
		{"no such program in PATH", &process.Program{Path: "arbor-no-such-program"}, "Program.Path", exec.ErrNotFound},
		{"not executable", &process.Program{Path: notExec}, "Program.Path", fs.ErrPermission},
		{"a directory", &process.Program{Path: dir}, "Program.Path", syscall.EISDIR},
		{"no such directory", &process.Program{Path: "/bin/sh", Dir: filepath.Join(dir, "missing")}, "Program.Dir", fs.ErrNotExist},
		{"negative stop timeout", &process.Program{Path: "/bin/sh", StopTimeout: -1}, "Program.StopTimeout", nil},
		{"notify fd 2", &process.Program{Path: "/bin/sh", Ready: process.NotifyFD{FD: 2}}, "Program.Ready.FD", nil},
		{"probe without port", &process.Program{Path: "/bin/sh", Ready: process.TCPProbe{Addr: "localhost"}}, "Program.Ready.Addr", nil},
		{"probe of a non-HTTP URL", &process.Program{Path: "/bin/sh", Ready: process.HTTPProbe{URL: "ftp://x/"}}, "Program.Ready.URL", nil},
		{"nil *NotifyFD", &process.Program{Path: "/bin/sh", Ready: (*process.NotifyFD)(nil)}, "Program.Ready.NotifyFD", nil},
		{"*NotifyFD on fd 1", &process.Program{Path: "/bin/sh", Ready: &process.NotifyFD{FD: 1}}, "Program.Ready.FD", nil},
		{"stop signal 65", &process.Program{Path: "/bin/sh", StopSignal: 65}, "Program.StopSignal", nil},
		{"exit status 256", &process.Program{Path: "/bin/sh", SuccessExitStatus: []int{256}}, "Program.SuccessExitStatus", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sup := supervisortest.New(t, "root")
			stop, _ := runTree(t, sup)
			defer stop()
			err := sup.Add(supervisor.Child{Name: "prog", Actor: tc.p})
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Add = %v, want a *ConfigError", err)
			}
			// The outer error names the child; the program's own names the
			// field.
			var inner *supervisor.ConfigError
			if !errors.As(ce.Err, &inner) || inner.Field != tc.field {
				t.Fatalf("Add = %v, want the program's *ConfigError for %s", err, tc.field)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Add = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
}

func TestSpecIsCheckedAgainAtEachStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 8)
	sup := supervisortest.New(t, "root",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventFailed {
				failed <- e.Err
			}
		})),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: &process.Program{Path: path},
			Backoff: &policy.Backoff{Initial: time.Hour, Max: time.Hour}}),
	)
	stop, _ := runTree(t, sup)
	var ee *process.ExitError
	if err := <-failed; !errors.As(err, &ee) || ee.Status != 1 {
		t.Fatalf("first exit: %v, want status 1", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := sup.Restart("prog"); err != nil {
		t.Fatal(err)
	}
	var ce *supervisor.ConfigError
	if err := <-failed; !errors.As(err, &ce) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("start after the program was removed: %v, want a *ConfigError", err)
	}
	_ = stop()
}

func TestExitStatusesMeanWhatTheSpecSays(t *testing.T) {
	for _, tc := range []struct {
		script  string
		wantNil bool
		status  int
		signal  syscall.Signal
		is      error
	}{
		{`exit 0`, true, 0, 0, nil},
		{`exit 3`, false, 3, 0, nil},
		{`exit 75`, true, 0, 0, nil},
		{`exit 78`, false, 78, 0, policy.ErrDoNotRestart},
		{`kill -USR1 $$`, false, -1, syscall.SIGUSR1, nil},
	} {
		t.Run(tc.script, func(t *testing.T) {
			p := shell(tc.script)
			p.SuccessExitStatus = []int{75}
			p.RestartPreventExitStatus = []int{78}
			r := start(t, p)
			err := <-r.done
			r.done <- err
			if tc.wantNil {
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
				return
			}
			var ee *process.ExitError
			if !errors.As(err, &ee) || ee.Status != tc.status || ee.Signal != tc.signal || ee.PID <= 0 || ee.Path != "/bin/sh" {
				t.Fatalf("Run = %#v, want status %d, signal %v", err, tc.status, tc.signal)
			}
			if (tc.is != nil) != errors.Is(err, policy.ErrDoNotRestart) {
				t.Fatalf("Run = %v: errors.Is(ErrDoNotRestart) = %v", err, !(tc.is != nil))
			}
		})
	}
}

func TestStuckReportOfAProgramNamesItsPID(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The escaped grandchild holds stdout, and the output may stay open
	// for an hour: the incarnation outlives its shutdown timeout.
	p := shell(`echo $$ > "$1"; setsid sh -c 'echo $$ >> "$1"; echo >&3; exec sleep 60 3>&-' sh "$1" & exec sleep 60 3>&-`, pidFile)
	p.Ready = process.NotifyFD{FD: 3}
	p.WaitDelay = time.Hour
	sup := supervisortest.New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: p, WaitReady: true, ShutdownTimeout: 100 * time.Millisecond},
	))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		done <- sup.Run(ctx)
	}()
	awaitTreeReady(t, sup, ran)
	b, _ := os.ReadFile(pidFile)
	f := strings.Fields(string(b))
	var pid, escapee int
	if _, err := fmtSscan(f, &pid, &escapee); err != nil {
		t.Fatalf("pid file holds %q", b)
	}
	killAtCleanup(t, escapee)
	cancel()
	err := <-done
	var se *supervisor.StuckError
	if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].PID != pid {
		t.Fatalf("Run = %v, want a stuck report naming pid %d", err, pid)
	}
	// Let the abandoned incarnation end (goleak checks it does).
	_ = syscall.Kill(escapee, syscall.SIGKILL)
	awaitExit(t, escapee)
}
