package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// TestDrainDelayNotShorterThanTheBudgetIsRefused checks that New refuses a
// drain delay that is not shorter than the shutdown budget: the budget caps
// the whole shutdown, drain included. A budget of zero (none) is exempt.
func TestDrainDelayNotShorterThanTheBudgetIsRefused(t *testing.T) {
	cases := []struct {
		drain, budget time.Duration
		refused       bool
	}{
		{500 * time.Millisecond, 300 * time.Millisecond, true},
		{300 * time.Millisecond, 300 * time.Millisecond, true},
		{299 * time.Millisecond, 300 * time.Millisecond, false},
		{time.Hour, 0, false},
		{0, time.Millisecond, false},
	}
	for _, tc := range cases {
		_, err := supervisor.New("root", supervisor.WithDrainDelay(tc.drain), supervisor.WithShutdownBudget(tc.budget))
		var ce *supervisor.ConfigError
		switch {
		case tc.refused && (!errors.As(err, &ce) || ce.Field != "DrainDelay" || ce.Value != tc.drain):
			t.Errorf("drain %v, budget %v: New = %v, want a *ConfigError for DrainDelay", tc.drain, tc.budget, err)
		case !tc.refused && err != nil:
			t.Errorf("drain %v, budget %v: New = %v, want nil", tc.drain, tc.budget, err)
		}
	}
}

// TestDrainCountsWithinTheBudget checks that the children are given what
// the drain left of the budget: drain 200ms, budget 300ms, a child that
// stops 20ms after it is asked stops cleanly, and Run returns at cancel
// plus 220ms.
func TestDrainCountsWithinTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var asked time.Time
		sup := ssNew(t, "root", supervisor.WithDrainDelay(200*time.Millisecond),
			supervisor.WithShutdownBudget(300*time.Millisecond),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
				<-ctx.Done()
				asked = time.Now()
				time.Sleep(20 * time.Millisecond)
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		t0 := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if took := time.Since(t0); took != 220*time.Millisecond {
			t.Errorf("Run returned %v after cancel, want 220ms", took)
		}
		if d := asked.Sub(t0); d != 200*time.Millisecond {
			t.Errorf("w asked to stop %v after cancel, want after the 200ms drain", d)
		}
	})
}
