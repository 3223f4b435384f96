package supervisor_test

import (
	"testing"
	"time"

	"github.com/arbor-go/arbor/supervisor"
)

// The drain delay and the budget given to New can be read back, so that
// the process main can check them against its own budget.
func TestDrainDelayAndBudgetReadBack(t *testing.T) {
	s, err := supervisor.New("root", supervisor.WithDrainDelay(2*time.Second), supervisor.WithShutdownBudget(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if s.DrainDelay() != 2*time.Second || s.ShutdownBudget() != 5*time.Second {
		t.Errorf("DrainDelay, ShutdownBudget = %v, %v; want 2s, 5s", s.DrainDelay(), s.ShutdownBudget())
	}
	var none *supervisor.Supervisor
	if none.DrainDelay() != 0 || none.ShutdownBudget() != 0 {
		t.Error("a nil Supervisor reports a drain delay or a budget")
	}
}
