package testutil_test

import (
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
)

var sink [][]byte

// TestLinearTellsLinearFromQuadratic: a linear allocation pattern passes
// and a quadratic one (a copy of everything so far for each item) fails.
func TestLinearTellsLinearFromQuadratic(t *testing.T) {
	linear := func(n int) testutil.PerItem {
		return testutil.CountWork(func() {
			for range n {
				sink = append(sink, make([]byte, 64))
			}
			sink = nil
		}).Per(n)
	}
	quadratic := func(n int) testutil.PerItem {
		return testutil.CountWork(func() {
			var all []byte
			for range n {
				all = append(all[:len(all):len(all)], make([]byte, 64)...)
			}
			sink = append(sink, all)
			sink = nil
		}).Per(n)
	}
	if s, l := linear(1000), linear(4000); !testutil.Linear(s, l, 1.5) {
		t.Errorf("linear work judged not linear: %+v then %+v", s, l)
	}
	if s, l := quadratic(1000), quadratic(4000); testutil.Linear(s, l, 1.5) {
		t.Errorf("quadratic work judged linear: %+v then %+v", s, l)
	}
}
