package supervisor

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/arbor-go/arbor/policy"
)

// sliceErr is an error of a type that == cannot compare: comparing two of
// them panics.
type sliceErr struct{ parts []string }

func (e sliceErr) Error() string { return fmt.Sprint(e.parts) }

// boxErr is a comparable type whose field may hold an incomparable value.
type boxErr struct{ inner error }

func (e boxErr) Error() string { return "box: " + e.inner.Error() }

// TestExamineIncomparableErrors: examine compares each error of a chain
// with the sentinels by ==; an error whose dynamic type cannot be compared
// (or holds a value that cannot) must neither panic nor hide a sentinel
// beside it.
func TestExamineIncomparableErrors(t *testing.T) {
	bad := sliceErr{[]string{"x"}}
	for _, tc := range []struct {
		name     string
		err      error
		escalate bool
		canceled bool
	}{
		{"alone", bad, false, false},
		{"boxed", boxErr{bad}, false, false},
		{"wrapped", fmt.Errorf("w: %w", bad), false, false},
		{"joined with escalate", errors.Join(bad, boxErr{bad}, policy.ErrEscalate), true, false},
		{"wrapping canceled", fmt.Errorf("%w and %w", boxErr{bad}, context.Canceled), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := examine(tc.err)
			if info.escalate != tc.escalate || info.canceled != tc.canceled {
				t.Errorf("escalate=%v canceled=%v, want %v %v", info.escalate, info.canceled, tc.escalate, tc.canceled)
			}
			if info.text != tc.err.Error() {
				t.Errorf("text = %q, want %q", info.text, tc.err.Error())
			}
		})
	}
}
