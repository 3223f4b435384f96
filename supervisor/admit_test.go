package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// TestAdmissionTimeNeverGoesBack: failures recorded by their goroutines
// before they take the lock can reach admitLocked out of time order; the
// window needs forward-only time, so an earlier failure counts at the time
// of the latest one admitted, and the window's count stays right.
func TestAdmissionTimeNeverGoesBack(t *testing.T) {
	s, err := New("root", WithIntensity(policy.Intensity{MaxRestarts: 2, Period: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	r := s.newRun(context.Background(), ctxView{labels: context.Background()})
	c := newChild(r, &Child{Name: "a", Actor: s})
	sec := func(n int) instant { return instant(time.Duration(n) * time.Second) }
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := r.admitLocked(c, nil, errInfo{}, sec(5), sec(5), 0); !ok {
		t.Fatal("first restart refused")
	}
	// Recorded at 1s, admitted after the one at 5s: it counts at 5s.
	if _, ok := r.admitLocked(c, nil, errInfo{}, sec(1), sec(6), 0); !ok {
		t.Fatal("second restart refused")
	}
	if r.lastAdmit != sec(5) {
		t.Errorf("lastAdmit = %v, want 5s after the start", time.Duration(r.lastAdmit))
	}
	// At 14s both still count (5s + 10s > 14s): a third is refused. Had the
	// out-of-order one counted at 1s, it would have left the window at 11s.
	if _, ok := r.admitLocked(c, nil, errInfo{}, sec(14), sec(14), 0); ok {
		t.Error("third restart within the window admitted")
	}
	if n := r.window.Count(r.timeAt(sec(14))); n != 2 {
		t.Errorf("window count at 14s = %d, want 2", n)
	}
}
