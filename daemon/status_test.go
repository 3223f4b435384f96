package daemon_test

import (
	"slices"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// After STOPPING=1, a STATUS= line says only what makes the exit
// non-zero: a subtree that gives up during a clean drain is not reported
// (systemctl status would show a failure for a clean stop), and a clean
// end says so.
func TestStatusAfterStoppingOnlyForANonZeroExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sub := newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: failAfter(2 * time.Second)}))
		root := newRoot(t, supervisor.WithDrainDelay(5*time.Second),
			supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		h := start(t.Context(), root)
		time.Sleep(time.Second)
		h.sigs <- syscall.SIGTERM
		time.Sleep(10 * time.Second) // root/sub gives up 1s into the 5s drain
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK || r.err != nil {
			t.Fatalf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
		want := []string{"READY=1", "STOPPING=1", "STATUS=stopped cleanly"}
		if got := h.notes.all(); !slices.Equal(got, want) {
			t.Errorf("notifications %q, want %q", got, want)
		}
	})
}

// A start that fails says why after STOPPING=1: no event did.
func TestStatusAfterAFailedStartSaysWhy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "http", WaitReady: true,
			Actor: failAfter(0)}))
		h := start(t.Context(), root)
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitFailure {
			t.Fatalf("Run = %d, %v; want 1", r.code, r.err)
		}
		want := []string{"STOPPING=1", "STATUS=root: start of root/http failed: boom"}
		if got := h.notes.all(); !slices.Equal(got, want) {
			t.Errorf("notifications %q, want %q", got, want)
		}
	})
}
