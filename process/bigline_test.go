//go:build linux

package process_test

import (
	"testing"
)

// A line as long as LineMax allows is logged whole, even when LineMax is
// larger than the queue that hands lines to the logger holds in bytes
// (1 MiB): a lone line always fits.
func TestALineUpToLineMaxIsLoggedWholeWhateverItsSize(t *testing.T) {
	const size = 3 << 19 // 1.5 MiB
	p := shell(`head -c 1572864 /dev/zero | tr '\0' a; echo; echo after`)
	p.LineMax = 2 << 20
	entries := runOnce(t, p)
	var got []int
	for _, e := range entries {
		if _, ok := e.ContextMap()["dropped"]; ok {
			t.Errorf("lines were dropped: %v", e.ContextMap())
			continue
		}
		got = append(got, len(e.Message))
	}
	if len(got) != 2 || got[0] != size || got[1] != len("after") {
		t.Fatalf("entries of %v bytes, want [%d 5]", got, size)
	}
}
