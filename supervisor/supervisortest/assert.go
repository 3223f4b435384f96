package supervisortest

import (
	"slices"
	"strconv"
)

// TB is the part of testing.TB that the helpers use. *testing.T,
// *testing.B, *testing.F and *rapid.T (pgregory.net/rapid) satisfy it.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Subsequence reports whether want occurs in got in order, each entry after
// the one before it, though not necessarily next to it: ["a", "c"] is a
// subsequence of ["a", "b", "c"], ["c", "a"] is not.
func Subsequence(got, want []string) bool {
	_, ok := subsequence(got, want)
	return ok
}

// subsequence matches want in got greedily. On failure, missing is the index
// in want of the first entry not found after the entries before it.
func subsequence(got, want []string) (missing int, ok bool) {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i, i == len(want)
}

// AssertOrder reports whether want is a Subsequence of got. If not, it
// fails t with t.Errorf, naming the first entry of want it could not find
// in order, and returns false. Use it where other entries may come between
// the ones that matter, such as the events of siblings.
func AssertOrder(t TB, got []string, want ...string) bool {
	t.Helper()
	missing, ok := subsequence(got, want)
	if ok {
		return true
	}
	after := "from the start"
	if missing > 0 {
		after = "after " + strconv.Quote(want[missing-1])
	}
	t.Errorf("%s not found %s, in order:\n got  %q\n want %q", strconv.Quote(want[missing]), after, got, want)
	return false
}

// AssertEqual reports whether got equals want, entry for entry. If not, it
// fails t with t.Errorf, showing both, and returns false.
func AssertEqual(t TB, got []string, want ...string) bool {
	t.Helper()
	if slices.Equal(got, want) {
		return true
	}
	t.Errorf("sequence differs:\n got  %q\n want %q", got, want)
	return false
}

// AssertOrder asserts that the events in want, written as KindPath writes
// them ("started root/db"), were recorded in that order, possibly with
// others between them. See the function AssertOrder.
func (r *Recorder) AssertOrder(t TB, want ...string) bool {
	t.Helper()
	return AssertOrder(t, r.Kinds(), want...)
}
