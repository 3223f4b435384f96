package policy_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/policy"
)

func TestDecideDefault(t *testing.T) {
	other := errors.New("dial tcp: connection refused")
	tests := []struct {
		name string
		err  error
		want policy.Directive
	}{
		{"nil", nil, policy.Restart},
		{"plain error", other, policy.Restart},
		{"escalate", policy.ErrEscalate, policy.Escalate},
		{"wrapped escalate", fmt.Errorf("db: %w", policy.ErrEscalate), policy.Escalate},
		{"twice wrapped escalate", fmt.Errorf("a: %w", fmt.Errorf("b: %w", policy.ErrEscalate)), policy.Escalate},
		{"do not restart", policy.ErrDoNotRestart, policy.Stop},
		{"wrapped do not restart", fmt.Errorf("done: %w", policy.ErrDoNotRestart), policy.Stop},
		{"joined do not restart", errors.Join(other, policy.ErrDoNotRestart), policy.Stop},
		{"multi %w", fmt.Errorf("%w and %w", other, policy.ErrDoNotRestart), policy.Stop},
		{"escalate wins", fmt.Errorf("%w and %w", policy.ErrDoNotRestart, policy.ErrEscalate), policy.Escalate},
		{"text only", errors.New("escalate"), policy.Restart},
		{"%v does not wrap", fmt.Errorf("db: %v", policy.ErrEscalate), policy.Restart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.DefaultDecider(tt.err); got != tt.want {
				t.Errorf("DefaultDecider(%v) = %v, want %v", tt.err, got, tt.want)
			}
			got, problem := policy.Decide(nil, tt.err)
			if got != tt.want || problem != nil {
				t.Errorf("Decide(nil, %v) = %v, %v; want %v, nil", tt.err, got, problem, tt.want)
			}
		})
	}
}

func TestDecideCustom(t *testing.T) {
	boom := errors.New("boom")
	for _, want := range []policy.Directive{policy.Restart, policy.Stop, policy.Escalate} {
		var seen error
		d := func(err error) policy.Directive { seen = err; return want }
		got, problem := policy.Decide(d, boom)
		if got != want || problem != nil {
			t.Errorf("Decide(returns %v) = %v, %v; want %v, nil", want, got, problem, want)
		}
		if seen != boom {
			t.Errorf("decider got %v, want the child's error", seen)
		}
	}
	// A decider of its own overrides the sentinels.
	always := func(error) policy.Directive { return policy.Restart }
	if got, _ := policy.Decide(always, fmt.Errorf("x: %w", policy.ErrEscalate)); got != policy.Restart {
		t.Errorf("custom decider overridden by ErrEscalate: got %v", got)
	}
}

func TestDecidePanics(t *testing.T) {
	tests := []struct {
		name  string
		value any
		text  string
	}{
		{"string", "decider bug", "decider bug"},
		{"error", errors.New("bad state"), "bad state"},
		{"int", 42, "42"},
		{"nil", nil, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := func(error) policy.Directive { panic(tt.value) }
			got, problem := policy.Decide(d, errors.New("boom"))
			if got != policy.Escalate {
				t.Errorf("Decide(panicking) = %v, want escalate", got)
			}
			if problem == nil {
				t.Fatal("problem = nil, want a description of the panic")
			}
			msg := problem.Error()
			if !strings.Contains(msg, "panic") || !strings.Contains(msg, tt.text) {
				t.Errorf("problem = %q, want the panic and its value %q", msg, tt.text)
			}
			if !strings.Contains(msg, "directive_test.go") {
				t.Errorf("problem has no stack reaching the decider:\n%s", msg)
			}
		})
	}
}

func TestDecideUnknownDirective(t *testing.T) {
	for _, dir := range []policy.Directive{3, 9, 255} {
		d := func(error) policy.Directive { return dir }
		got, problem := policy.Decide(d, errors.New("boom"))
		if got != policy.Escalate {
			t.Errorf("Decide(returns %v) = %v, want escalate", dir, got)
		}
		if problem == nil || !strings.Contains(problem.Error(), dir.String()) {
			t.Errorf("Decide(returns %v): problem = %v, want it named", dir, problem)
		}
	}
}

// selfUnwrap's Unwrap returns its own receiver: errors.Is on it never
// returns.
type selfUnwrap struct{}

func (e *selfUnwrap) Error() string { return "self" }
func (e *selfUnwrap) Unwrap() error { return e }

// panicUnwrap's Unwrap panics.
type panicUnwrap struct{}

func (panicUnwrap) Error() string { return "panicking Unwrap" }
func (panicUnwrap) Unwrap() error { panic("Unwrap exploded") }

// panicIs's Is method panics; it wraps inner.
type panicIs struct{ inner error }

func (e panicIs) Error() string { return "panicking Is" }
func (e panicIs) Is(error) bool { panic("Is exploded") }
func (e panicIs) Unwrap() error { return e.inner }

// sliceErr is not comparable: == on two of them panics.
type sliceErr struct{ parts []string }

func (e sliceErr) Error() string { return "slice" }

// TestDefaultDeciderMisbehavingErrors is the regression test of issue 10
// item 5: a child's error whose methods loop or panic must neither hang nor
// crash the decider, and sentinels elsewhere in the chain still count.
func TestDefaultDeciderMisbehavingErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want policy.Directive
	}{
		{"self-returning Unwrap", &selfUnwrap{}, policy.Restart},
		{"wrapped self-returning Unwrap", fmt.Errorf("child: %w", &selfUnwrap{}), policy.Restart},
		{"self-returning Unwrap beside escalate", errors.Join(&selfUnwrap{}, policy.ErrEscalate), policy.Escalate},
		{"panicking Unwrap", panicUnwrap{}, policy.Restart},
		{"wrapped panicking Unwrap", fmt.Errorf("child: %w", panicUnwrap{}), policy.Restart},
		{"panicking Unwrap beside do not restart", errors.Join(panicUnwrap{}, policy.ErrDoNotRestart), policy.Stop},
		{"panicking Is", panicIs{}, policy.Restart},
		{"panicking Is over escalate", panicIs{policy.ErrEscalate}, policy.Escalate},
		{"not comparable", sliceErr{[]string{"x"}}, policy.Restart},
		{"not comparable beside do not restart", errors.Join(sliceErr{}, policy.ErrDoNotRestart), policy.Stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.DefaultDecider(tt.err); got != tt.want {
				t.Errorf("DefaultDecider = %v, want %v", got, tt.want)
			}
			got, problem := policy.Decide(nil, tt.err)
			if got != tt.want || problem != nil {
				t.Errorf("Decide(nil, ...) = %v, %v; want %v, nil", got, problem, tt.want)
			}
		})
	}
}
