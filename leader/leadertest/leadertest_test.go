package leadertest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Check finds two actors running at once and a token that goes back, and
// passes a sequence of starts each after the last return.
func TestTimelineCheckFindsOverlapsAndStaleTokens(t *testing.T) {
	seq := new(leadertest.Timeline)
	seq.Add("a", true, 1, "")
	seq.Add("a", false, 1, "")
	seq.Add("b", true, 2, "")
	if err := seq.Check(); err != nil {
		t.Errorf("sequential: %v", err)
	}
	overlap := new(leadertest.Timeline)
	overlap.Add("a", true, 1, "")
	overlap.Add("b", true, 2, "")
	overlap.Add("a", false, 1, "")
	if err := overlap.Check(); err == nil {
		t.Error("overlap not found")
	}
	stale := new(leadertest.Timeline)
	stale.Add("a", true, 2, "")
	stale.Add("a", false, 2, "")
	stale.Add("b", true, 1, "")
	if err := stale.Check(); err == nil {
		t.Error("token going back not found")
	}
}

// A revoked term is lost at once and the election is free; a cut-off
// holder loses its term after the renew deadline, cannot resign, and the
// election is free after the TTL.
func TestElectionRevokeAndCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(leader.Timing{TTL: 6 * time.Second, RenewDeadline: 3 * time.Second})
		a, b := el.Candidate("a"), el.Candidate("b")
		ta, err := a.Campaign(context.Background())
		if err != nil || ta.Token() != 1 {
			t.Fatalf("a: %v, %v", ta, err)
		}
		el.Revoke()
		<-ta.Lost()
		if !errors.Is(ta.Err(), leadertest.ErrRevoked) {
			t.Errorf("Err = %v", ta.Err())
		}
		tb, err := b.Campaign(context.Background())
		if err != nil || tb.Token() != 2 {
			t.Fatalf("b: %v, %v", tb, err)
		}
		start := time.Now()
		el.CutOff()
		<-tb.Lost()
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("lost after %v, want the renew deadline", got)
		}
		if err := tb.Resign(context.Background()); !errors.Is(err, leadertest.ErrCutOff) {
			t.Errorf("Resign = %v, want ErrCutOff", err)
		}
		tc, err := a.Campaign(context.Background())
		if err != nil || time.Since(start) != 6*time.Second || tc.Token() != 3 {
			t.Errorf("a won %v after the cut (token %v, %v), want at the TTL", time.Since(start), tc, err)
		}
	})
}
