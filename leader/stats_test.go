package leader_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
)

// Three hand-overs between two replicas: the last start wait and stop are
// in StartWait and StopTook, and the running totals count every one of
// them, so that a reader sampling Stats only at the end misses none.
func TestStatsSumEveryHandOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", tl.Actor("a", time.Second)).start(t)
		synctest.Wait()
		b := newReplica(t, el, "b", tl.Actor("b", 500*time.Millisecond)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		for range 3 { // a -> b -> a -> b
			el.Revoke()
			time.Sleep(startWait)
			synctest.Wait()
		}
		checkTimeline(t, tl)
		if n := tl.Starts(""); n != 4 {
			t.Fatalf("%d starts, want 4:\n%v", n, tl)
		}
		want := map[*replica]leader.Stats{
			a: {Won: 2, Lost: 2, Resigned: 2, Token: 3, StartWait: startWait, StopTook: time.Second,
				StartWaits: 2, StartWaitSum: 2 * startWait, StopTooks: 2, StopTookSum: 2 * time.Second},
			b: {Won: 2, Lost: 1, Resigned: 1, Leading: true, Token: 4, StartWait: startWait, StopTook: 500 * time.Millisecond,
				StartWaits: 2, StartWaitSum: 2 * startWait, StopTooks: 1, StopTookSum: 500 * time.Millisecond},
		}
		for r, w := range want {
			if got := r.single.Stats(); got != w {
				t.Errorf("%s's stats\n%+v\nwant\n%+v", r.name, got, w)
			}
		}
	})
}

// Election names the election as the Singleton's log entries do; a
// Singleton not made by New has none.
func TestElectionIsTheConfiguredNameOrTheDefault(t *testing.T) {
	el := leadertest.NewElection(timing)
	for name, want := range map[string]string{"scheduler": "scheduler", "": "election"} {
		s, err := leader.New(leader.Config{Election: name, Elector: el.Candidate("a"),
			Actor: new(leadertest.Timeline).Actor("a", 0), StopBound: stopBound})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Election(); got != want {
			t.Errorf("Election() = %q for Config.Election %q, want %q", got, name, want)
		}
	}
	if got := new(leader.Singleton).Election(); got != "" {
		t.Errorf("Election() of a zero Singleton = %q, want empty", got)
	}
}
