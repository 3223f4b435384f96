package policy_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/policy"
)

// decideOutcome is what became of one call of policy.Decide, made on a
// goroutine of its own so that a call that panics or ends its goroutine
// is reported instead of ending the test.
type decideOutcome struct {
	dir      policy.Directive
	problem  error
	returned bool
	panicked any
}

func decideGuarded(d policy.Decider, err error) decideOutcome {
	var out decideOutcome
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if !out.returned {
				out.panicked = recover()
			}
		}()
		out.dir, out.problem = policy.Decide(d, err)
		out.returned = true
	}()
	<-done
	return out
}

// panickyValue is a panic value whose String method panics: formatting
// it is user code.
type panickyValue struct{}

func (panickyValue) String() string { panic("String exploded") }

// goexitValue is a panic value whose Error method calls runtime.Goexit.
type goexitValue struct{}

func (goexitValue) Error() string { runtime.Goexit(); return "" }

// Decide returns Escalate and a problem naming what went wrong, whatever
// the decider does: panic (with a value whose String or Error method
// panics or calls runtime.Goexit), or call runtime.Goexit itself. It never
// panics and never ends its caller's goroutine.
func TestDecideSurvivesADeciderThatPanicsOrCallsGoexit(t *testing.T) {
	tests := []struct {
		name string
		d    policy.Decider
		text string // in the problem's text
	}{
		{"calls Goexit", func(error) policy.Directive { runtime.Goexit(); return policy.Restart }, "runtime.Goexit"},
		{"panics with a value whose String panics", func(error) policy.Directive { panic(panickyValue{}) }, "String exploded"},
		{"panics with a value whose Error calls Goexit", func(error) policy.Directive { panic(goexitValue{}) }, "goexitValue"},
		{"panics", func(error) policy.Directive { panic("nil map") }, "nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decideGuarded(tt.d, errors.New("boom"))
			switch {
			case out.panicked != nil:
				t.Fatalf("Decide panicked: %v", out.panicked)
			case !out.returned:
				t.Fatal("Decide ended its caller's goroutine (runtime.Goexit)")
			}
			if out.dir != policy.Escalate || out.problem == nil {
				t.Fatalf("Decide = %v, %v; want escalate and a problem", out.dir, out.problem)
			}
			if msg := out.problem.Error(); !strings.Contains(msg, tt.text) {
				t.Errorf("problem = %q, want it to name %q", msg, tt.text)
			}
		})
	}
}
