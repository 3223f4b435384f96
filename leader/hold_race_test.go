package leader_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// slowResigner wraps an Elector: each Resign of its terms takes resignTakes
// (a request to a slow backend), and a Campaign begun while a Resign is in
// progress is recorded. A backend that resigns by candidate identity (the
// Kubernetes Lease's holder) would release the new term won meanwhile.
type slowResigner struct {
	leader.Elector
	resignTakes time.Duration

	mu        sync.Mutex
	resigning int      // guarded by mu: Resign calls in progress
	overlaps  []string // guarded by mu: campaigns begun during a Resign
}

func (e *slowResigner) Campaign(ctx context.Context) (leader.Term, error) {
	e.mu.Lock()
	if e.resigning > 0 {
		e.overlaps = append(e.overlaps, time.Now().Format("15:04:05.000"))
	}
	e.mu.Unlock()
	t, err := e.Elector.Campaign(ctx)
	if err != nil {
		return nil, err
	}
	return &slowTerm{Term: t, e: e}, nil
}

func (e *slowResigner) campaignsDuringResign() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.overlaps...)
}

type slowTerm struct {
	leader.Term
	e *slowResigner
}

func (t *slowTerm) Resign(ctx context.Context) error {
	t.e.mu.Lock()
	t.e.resigning++
	t.e.mu.Unlock()
	defer func() {
		t.e.mu.Lock()
		t.e.resigning--
		t.e.mu.Unlock()
	}()
	timer := time.NewTimer(t.e.resignTakes)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return t.Term.Resign(ctx)
}

// When Hold expires just before the supervisor's restart of a failed
// singleton, the next incarnation campaigns only after the expired term's
// resignation has ended: a campaign that raced it could win (as a
// renewal, under the same identity) what the resignation then gives up.
func TestNewIncarnationCampaignsOnlyAfterTheHoldExpiryResigned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		e := &slowResigner{Elector: el.Candidate("a"), resignTakes: 500 * time.Millisecond}
		single, err := leader.New(leader.Config{Election: "sched", Elector: e, Actor: failing(tl, "a", time.Second),
			StopBound: stopBound, Hold: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sup, err := supervisor.New("a", supervisor.WithChildren(single.Child("sched")),
			supervisor.WithBackoff(policy.Backoff{Initial: 1200 * time.Millisecond, Max: 1200 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		supervisortest.Start(t, sup)
		// a wins at 0, its actor starts at startWait and fails 1s later;
		// Hold (1s) expires at +1s and the resignation takes until +1.5s;
		// the restart comes at +1.2s.
		time.Sleep(startWait + time.Second + 2*time.Second)
		synctest.Wait()
		if got := e.campaignsDuringResign(); len(got) != 0 {
			t.Errorf("campaigns begun while the expired term was being resigned, at %v", got)
		}
		if st := single.Stats(); st.Resigned != 1 || st.Won != 2 {
			t.Errorf("stats %+v; want the expired term resigned and a second one won", st)
		}
		checkTimeline(t, tl)
	})
}
