package daemon_test

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
)

// When the budget runs out while the root waits for a probe call that
// never returns (abandoned at its own deadline, during the run), the
// *BudgetError names it, as a stuck child: every node of the tree has
// stopped, and "did not stop" must say what did not.
func TestBudgetErrorNamesAProbeCallThatNeverReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		w := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, Liveness: &supervisor.Liveness{
			Timeout: time.Second, Interval: 10 * time.Second, Probe: func(context.Context) error { <-block; return nil }}}))
		h := start(t.Context(), root, daemon.WithShutdownBudget(2*time.Second))
		time.Sleep(15 * time.Second) // the call started at 10s, abandoned at 11s; the child hung and restarted
		h.sigs <- syscall.SIGTERM
		time.Sleep(time.Minute)
		synctest.Wait()
		r := h.result(t)
		var be *daemon.BudgetError
		if !errors.As(r.err, &be) || !slices.Contains(be.Remaining, "root/w/(probe) (stuck)") {
			t.Errorf("Run = %d, %v; want a *BudgetError naming root/w/(probe) (stuck)", r.code, r.err)
		}
		close(block)
	})
}
