package supervisor_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// crashMode, when set in the environment, makes TestCrashOnPanic run the
// tree whose panic must crash the process (in a subprocess).
const crashMode = "ARBOR_TEST_CRASH_MODE"

func panicker(context.Context) error { panic("boom: crash me") }

// TestCrashOnPanic checks that WithCrashOnPanic, and Child.Panics =
// PanicCrash on its own, let a child's panic crash the process instead of
// being recovered. It runs each tree in a subprocess and expects it to die
// with the panic's message.
func TestCrashOnPanic(t *testing.T) {
	if mode := os.Getenv(crashMode); mode != "" {
		var opts []supervisor.Option
		child := supervisor.Child{Name: "p", Actor: actor.Func(panicker)}
		if mode == "option" {
			opts = append(opts, supervisor.WithCrashOnPanic(true))
		} else {
			child.Panics = supervisor.PanicCrash
		}
		sup, err := supervisor.New("root", append(opts, supervisor.WithChildren(child))...)
		if err != nil {
			t.Fatal(err)
		}
		_ = sup.Run(context.Background())
		t.Fatal("Run returned: the panic was recovered")
	}
	for _, mode := range []string{"option", "child"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashOnPanic$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashMode+"="+mode)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("subprocess: %v, want a crash; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), "panic: boom: crash me") || strings.Contains(string(out), "the panic was recovered") {
				t.Fatalf("output does not show the panic crashing the process:\n%s", out)
			}
		})
	}
}

// TestPanicRecoverOverridesCrashOnPanic checks the per-child override the
// other way round: a child marked PanicRecover under WithCrashOnPanic has
// its panic recovered and is restarted.
func TestPanicRecoverOverridesCrashOnPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		a := actor.Func(func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				panic("recover me")
			}
			<-ctx.Done()
			return nil
		})
		sup, err := supervisor.New("root", supervisor.WithCrashOnPanic(true),
			supervisor.WithChildren(supervisor.Child{Name: "p", Actor: a, Panics: supervisor.PanicRecover}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		synctest.Wait()
		info := sup.Children()[0]
		var pe *supervisor.PanicError
		if runs.Load() != 2 || info.Restarts != 1 || !errors.As(info.LastError, &pe) || pe.Value != "recover me" {
			t.Fatalf("runs = %d, child = %+v, want one recovered panic and a restart", runs.Load(), info)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
