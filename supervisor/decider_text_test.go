package supervisor_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// panickyStringer is a panic value whose String method panics itself: its
// text is user code, taken only through the guarded walk.
type panickyStringer struct{}

func (panickyStringer) String() string { panic("String of the panic value") }

// An escalation because the decider failed says in its one-line text what
// went wrong with the decider (the panic's value, a Goexit, an unknown
// directive), not only that it failed; the decider's panic stays in the
// chain as a *PanicError with its value.
func TestEscalationTextNamesTheDecidersFailure(t *testing.T) {
	var nilMap map[string]int
	tests := []struct {
		name    string
		decider policy.Decider
		want    string // the text between "decider failed (" and ") when"
		value   any    // the *PanicError's value in the chain, if any
	}{
		{"panic_string", func(error) policy.Directive { panic("nil map in decider") },
			"panic: nil map in decider", "nil map in decider"},
		{"panic_runtime_error", func(error) policy.Directive { nilMap["k"] = 1; return policy.Restart },
			"panic: assignment to entry in nil map", nil},
		{"panic_error", func(error) policy.Directive { panic(errors.New("decider lost its table")) },
			"panic: decider lost its table", nil},
		{"goexit", func(error) policy.Directive { runtime.Goexit(); return policy.Restart },
			supervisor.ErrGoexit.Error(), nil},
		{"unknown_directive", func(error) policy.Directive { return policy.Directive(42) },
			"returned an unknown directive: Directive(42)", nil},
		{"panic_value_text_panics", func(error) policy.Directive { panic(panickyStringer{}) },
			"panic: ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "db",
					Actor:   actor.Func(func(context.Context) error { return errors.New("x") }),
					Decider: tt.decider}))
				err := sup.Run(t.Context())
				var esc *supervisor.EscalationError
				if !errors.As(err, &esc) || esc.Reason != "decider-failed" {
					t.Fatalf("Run = %v, want an escalation with reason decider-failed", err)
				}
				text := err.Error()
				prefix := "root gave up: decider failed (" + tt.want
				if !strings.HasPrefix(text, prefix) || !strings.HasSuffix(text, ") when root/db failed: x") {
					t.Errorf("Error() = %q, want %q...%q", text, prefix, ") when root/db failed: x")
				}
				if strings.Contains(text, "\n") {
					t.Errorf("Error() is not one line: %q", text)
				}
				if tt.value != nil {
					var pe *supervisor.PanicError
					if !errors.As(err, &pe) || pe.Value != tt.value || len(pe.Stack) == 0 {
						t.Errorf("chain of %v: *PanicError %+v, want value %v with a stack", err, pe, tt.value)
					}
				}
			})
		})
	}
}

// A decider's failure below is named in the text of the escalations above
// it too: the root that gives up because its child supervisor gave up says
// what went wrong with that supervisor's decider, not only the leaf's error.
func TestEscalationTextNamesANestedDecidersFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sub := ssNew(t, "sub", supervisor.WithChildren(supervisor.Child{Name: "db",
			Actor:   actor.Func(func(context.Context) error { return errors.New("x") }),
			Decider: func(error) policy.Directive { panic("nil map in decider") }}))
		root := ssNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		err := root.Run(t.Context())
		want := "root gave up: 0 restarts in 1s, then root/sub/db failed: x (decider of root/sub failed: panic: nil map in decider)"
		if err == nil || err.Error() != want {
			t.Fatalf("Run = %v, want %q", err, want)
		}
	})
}

// The text of an escalation a user built in a cycle (its Err is itself)
// ends: the walk through nested escalations is bounded.
func TestEscalationTextOfACycleEnds(t *testing.T) {
	e := &supervisor.EscalationError{Supervisor: "root", Child: "root/x", Origin: "root/x", Reason: "decider-failed"}
	e.Err = e
	if got := e.Error(); !strings.HasPrefix(got, "root gave up: decider failed when root/x failed: ") {
		t.Fatalf("Error() = %q", got)
	}
}
