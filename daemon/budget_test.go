package daemon_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
)

// The process budget caps the whole shutdown, the root's drain delay
// included: a root whose drain delay is not shorter than the budget is
// refused before it starts. A budget of zero (none) is exempt.
func TestRootDrainNotShorterThanTheBudgetIsRefused(t *testing.T) {
	for _, tc := range []struct {
		drain, budget time.Duration // budget -1: the default
	}{
		{500 * time.Millisecond, 300 * time.Millisecond},
		{time.Second, time.Second},
		{daemon.DefaultShutdownBudget, -1},
		{time.Hour, -1},
	} {
		var opts []daemon.Option
		if tc.budget >= 0 {
			opts = append(opts, daemon.WithShutdownBudget(tc.budget))
		}
		root := newRoot(t, supervisor.WithDrainDelay(tc.drain))
		code, err := runRoot(root, opts...)
		wantConfigError(t, code, err, "DrainDelay")
		if !strings.Contains(err.Error(), "shorter than") {
			t.Errorf("drain %v, budget %v: error %q does not say what must be shorter", tc.drain, tc.budget, err)
		}
	}
	for _, tc := range []struct {
		drain, budget time.Duration
	}{
		{299 * time.Millisecond, 300 * time.Millisecond},
		{daemon.DefaultShutdownBudget - time.Nanosecond, -1},
		{time.Hour, 0}, // no budget: nothing to fit in
		{0, time.Nanosecond},
	} {
		var opts []daemon.Option
		if tc.budget >= 0 {
			opts = append(opts, daemon.WithShutdownBudget(tc.budget))
		}
		synctest.Test(t, func(t *testing.T) { // the drain is waited out in virtual time
			root := newRoot(t, supervisor.WithDrainDelay(tc.drain))
			if code, err := runRoot(root, opts...); code != daemon.ExitOK || err != nil {
				t.Errorf("drain %v, budget %v: Run = %d, %v; want 0, nil", tc.drain, tc.budget, code, err)
			}
		})
	}
}
