package errwalk_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/arbor-go/arbor/internal/errwalk"
)

var fuzzSentinels = []error{errors.New("s0"), errors.New("s1"), errors.New("s2")}

// buildChain turns ops into an error tree on a stack machine and reports
// whether the tree holds a misbehaving error (where errors.Is may hang or
// panic).
func buildChain(ops []byte) (err error, wild bool) {
	var stack []error
	pop := func() error {
		if len(stack) == 0 {
			return nil
		}
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return e
	}
	for _, op := range ops {
		switch op % 7 {
		case 0, 1, 2:
			stack = append(stack, fuzzSentinels[op%3])
		case 3:
			stack = append(stack, fmt.Errorf("w: %w", pop()))
		case 4:
			a, b := pop(), pop()
			stack = append(stack, errors.Join(a, b))
		case 5:
			stack = append(stack, &selfErr{"self"})
			wild = true
		case 6:
			stack = append(stack, panicIs{pop()})
			wild = true
		}
	}
	return errors.Join(stack...), wild
}

// FuzzIs checks that Is agrees with errors.Is on well-behaved trees and
// ends without a panic on any tree.
func FuzzIs(f *testing.F) {
	f.Add([]byte{0, 3, 1, 4, 3})
	f.Add([]byte{5, 0, 4, 6, 3})
	f.Add([]byte{2, 6, 6, 3, 5, 4})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 50 { // stays well within MaxDepth and MaxNodes
			ops = ops[:50]
		}
		err, wild := buildChain(ops)
		for _, target := range fuzzSentinels {
			got := errwalk.Is(err, target)
			if !wild {
				if want := errors.Is(err, target); got != want {
					t.Fatalf("Is(%q, %v) = %v, errors.Is = %v", err, target, got, want)
				}
			}
		}
		errwalk.As[*selfErr](err)
		errwalk.Walk(err, func(error) bool { return true })
	})
}
