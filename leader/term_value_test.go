package leader_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// valueTermElector wraps an Elector: its terms are valueTerm values, a
// struct holding a slice, which == cannot compare (it panics with
// "comparing uncomparable type"). A user's backend may well return such
// a Term.
type valueTermElector struct{ leader.Elector }

func (e valueTermElector) Campaign(ctx context.Context) (leader.Term, error) {
	t, err := e.Elector.Campaign(ctx)
	if err != nil {
		return nil, err
	}
	return valueTerm{Term: t, endpoints: []string{"a:2379", "b:2379"}}, nil
}

type valueTerm struct {
	leader.Term
	endpoints []string // makes the type not comparable
}

// A term kept after the actor failed, of a type == cannot compare, is
// resigned when Hold passes without a new incarnation (the supervisor gave
// up), instead of crashing the process in the Hold timer's goroutine; and a
// restart leads on under it.
func TestKeptTermOfAnUncomparableTypeIsResignedAfterHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		single, err := leader.New(leader.Config{Election: "sched", Elector: valueTermElector{el.Candidate("a")},
			Actor: failing(tl, "a", time.Second), StopBound: stopBound, Exit: new(exits).exit})
		if err != nil {
			t.Fatalf("leader.New: %v", err)
		}
		sup, err := supervisor.New("a", supervisor.WithChildren(single.Child("sched")),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}))
		if err != nil {
			t.Fatalf("supervisor.New: %v", err)
		}
		run := supervisortest.Start(t, sup)
		time.Sleep(startWait + time.Second)
		synctest.Wait()
		if done, err := run.Returned(); !done || err == nil {
			t.Fatalf("a's tree: returned %v, %v; want an escalation", done, err)
		}
		if holder, _, _ := el.Holder(); holder != "a" {
			t.Fatalf("holder %q before Hold passed, want a (the term is kept)", holder)
		}
		time.Sleep(timing.TTL)
		synctest.Wait()
		if _, _, held := el.Holder(); held {
			t.Fatal("the kept term is still held after Hold")
		}
		if st := single.Stats(); st.Resigned != 1 {
			t.Errorf("stats %+v, want 1 resigned", st)
		}
	})
}

// A restart of the failed actor leads on under the kept term of an
// uncomparable type, and no Hold timer resigns it afterwards.
func TestKeptTermOfAnUncomparableTypeIsTakenByTheNextIncarnation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		single, err := leader.New(leader.Config{Election: "sched", Elector: valueTermElector{el.Candidate("a")},
			Actor: failing(tl, "a", time.Second), StopBound: stopBound, Exit: new(exits).exit})
		if err != nil {
			t.Fatalf("leader.New: %v", err)
		}
		sup, err := supervisor.New("a", supervisor.WithChildren(single.Child("sched")),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 100, Period: time.Second}))
		if err != nil {
			t.Fatalf("supervisor.New: %v", err)
		}
		supervisortest.Start(t, sup)
		time.Sleep(startWait + 3*time.Second + timing.TTL)
		synctest.Wait()
		if holder, tok, _ := el.Holder(); holder != "a" || tok != 1 {
			t.Fatalf("holder %q token %d, want a leading on under token 1", holder, tok)
		}
		if st := single.Stats(); st.Kept == 0 || st.Resigned != 0 {
			t.Errorf("stats %+v, want kept terms and none resigned", st)
		}
	})
}
