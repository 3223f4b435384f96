package leader_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A term lost while its winner waits out the start delay starts no actor:
// the winner resigns and campaigns again, and the next winner's actor
// starts after its own full start delay.
func TestLossDuringTheStartDelayStartsNoActor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", tl.Actor("a", 0)).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait / 2)
		synctest.Wait()
		revoked := time.Now()
		el.Revoke()
		time.Sleep(2 * startWait)
		synctest.Wait()
		checkTimeline(t, tl)
		es := tl.Entries()
		if len(es) != 1 || es[0].Who != "b" || es[0].Token != 2 || es[0].At.Sub(revoked) != startWait {
			t.Fatalf("timeline:\n%v\nwant only b's start, a start delay after the revoke", tl)
		}
		if st := a.single.Stats(); st.Won != 1 || st.Lost != 1 || st.Resigned != 1 || st.StartWaits != 0 {
			t.Errorf("a's stats %+v", st)
		}
		wantStandby(t, a)
	})
}

// lostElector wins at once, but its first term is already lost when
// Campaign returns it (a session that expired while it campaigned);
// later terms are sound.
type lostElector struct {
	leader.Elector
	calls atomic.Int32
}

func (e *lostElector) Campaign(ctx context.Context) (leader.Term, error) {
	t, err := e.Elector.Campaign(ctx)
	if err == nil && e.calls.Add(1) == 1 {
		return lostTerm{t}, nil
	}
	return t, err
}

type lostTerm struct{ leader.Term }

func (lostTerm) Lost() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

func (lostTerm) Err() error { return leadertest.ErrNoRenewal }

// A Campaign that returns a term already lost starts no actor: the
// Singleton resigns it and campaigns again.
func TestCampaignReturningALostTermStartsNoActor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		e := &lostElector{Elector: el.Candidate("a")}
		single, err := leader.New(leader.Config{Election: "sched", Elector: e, Actor: tl.Actor("a", 0), StopBound: stopBound})
		if err != nil {
			t.Fatal(err)
		}
		sup, err := supervisor.New("a", supervisor.WithChildren(single.Child("sched")))
		if err != nil {
			t.Fatal(err)
		}
		supervisortest.Start(t, sup)
		time.Sleep(startWait)
		synctest.Wait()
		es := tl.Entries()
		if len(es) != 1 || es[0].Token != 2 || es[0].At.Sub(time.Unix(946684800, 0)) != startWait {
			t.Fatalf("timeline:\n%v\nwant one start under the second term, a start delay after it", tl)
		}
		if st := single.Stats(); st.Won != 2 || st.Lost != 1 || st.Resigned != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// A clean stop is no loss: the term is held (and renewed) until the actor
// returns, however long it takes, so no other replica can start meanwhile,
// and no fail-stop applies (the stop bound bounds the stop after a loss
// only). Past the child's shutdown timeout the supervisor abandons the
// child; the Singleton still resigns once the actor returned.
func TestCleanStopSlowerThanTheStopBoundIsNoFailStop(t *testing.T) {
	for _, takes := range []time.Duration{3 * time.Second, 8 * time.Second} {
		t.Run(takes.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				el := leadertest.NewElection(timing)
				tl := new(leadertest.Timeline)
				a := newReplica(t, el, "a", tl.Actor("a", takes)).start(t)
				synctest.Wait()
				newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
				time.Sleep(startWait)
				synctest.Wait()
				stopped := time.Now()
				a.run.Stop() // an abandoned child makes it return an error
				time.Sleep(takes + startWait)
				synctest.Wait()
				checkTimeline(t, tl)
				if got := a.exits.get(); len(got) != 0 {
					t.Errorf("Exit called: %v", got)
				}
				es := tl.Entries()
				if len(es) != 3 || es[1].Who != "a" || es[2].Who != "b" || es[1].At.Sub(stopped) != takes ||
					es[2].At.Sub(stopped) != takes+startWait {
					t.Fatalf("timeline:\n%v\nwant a's return %v after the stop, b's start a start delay later", tl, takes)
				}
				if !slices.Contains(a.messages(), "leader: resigned as its child stops") {
					t.Errorf("a's log: %q", a.messages())
				}
			})
		})
	}
}
