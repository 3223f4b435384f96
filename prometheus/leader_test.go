package arborprom_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/policy"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// The timing of the leader package's own tests: TTL 6s, renew deadline
// 3.5s, stop bound 1.5s, and the default drift margin (TTL/10), so a start
// wait of 2.1s.
var leaderTiming = leader.Timing{TTL: 6 * time.Second, RenewDeadline: 3500 * time.Millisecond}

const (
	stopBound = 1500 * time.Millisecond
	startWait = stopBound + 600*time.Millisecond
)

// singletonReplica is one replica's tree: a root with the singleton
// "sched" of the election "sched", and a LeaderCollector for it.
type singletonReplica struct {
	single *leader.Singleton
	sup    *supervisor.Supervisor
	c      *arborprom.LeaderCollector
	exits  atomic.Int64 // calls of Config.Exit
}

func newSingletonReplica(t *testing.T, el *leadertest.Election, name string, a actor.Actor, opts ...supervisor.Option) *singletonReplica {
	t.Helper()
	r := &singletonReplica{}
	single, err := leader.New(leader.Config{Election: "sched", Elector: el.Candidate(name), Actor: a,
		StopBound: stopBound, Exit: func(int) { r.exits.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	r.single = single
	r.sup = mustNew(t, name, append([]supervisor.Option{supervisor.WithChildren(single.Child("sched"))}, opts...)...)
	if r.c, err = arborprom.NewLeaderCollector(single); err != nil {
		t.Fatal(err)
	}
	return r
}

// compare checks the samples of c's metrics named in want (the text
// format, HELP and TYPE lines included).
func compare(t *testing.T, who string, c prometheus.Collector, want string) {
	t.Helper()
	var names []string
	for line := range strings.Lines(want) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			names = append(names, f[2])
		}
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Errorf("%s: %v", who, err)
	}
}

// Every metric of a singleton with its exact help text, through a real
// registry beside the tree's collector: a wins, waits out the start delay
// and leads; its lease is revoked, its actor takes a second to return, and
// b, which won at the revoke, starts a start wait later.
func TestLeaderCollectorReportsElectionsAndHandOvers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(leaderTiming)
		tl := new(leadertest.Timeline)
		a := newSingletonReplica(t, el, "a", tl.Actor("a", time.Second))
		b := newSingletonReplica(t, el, "b", tl.Actor("b", 0))
		tree, err := arborprom.NewCollector(a.sup)
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(tree, a.c)

		stopA := start(t, a.sup)
		synctest.Wait()
		stopB := start(t, b.sup)
		synctest.Wait()
		compare(t, "a in its start delay", a.c, `
# HELP arbor_leader_terms_won_total Terms of leadership of the election won by this replica.
# TYPE arbor_leader_terms_won_total counter
arbor_leader_terms_won_total{election="sched"} 1
# HELP arbor_leader_leading 1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.
# TYPE arbor_leader_leading gauge
arbor_leader_leading{election="sched"} 0
# HELP arbor_leader_token The fencing token of this replica's current or last term of the election; 0 before its first.
# TYPE arbor_leader_token gauge
arbor_leader_token{election="sched"} 1
`)
		compare(t, "b waiting", b.c, `
# HELP arbor_leader_terms_won_total Terms of leadership of the election won by this replica.
# TYPE arbor_leader_terms_won_total counter
arbor_leader_terms_won_total{election="sched"} 0
# HELP arbor_leader_token The fencing token of this replica's current or last term of the election; 0 before its first.
# TYPE arbor_leader_token gauge
arbor_leader_token{election="sched"} 0
`)

		time.Sleep(startWait)
		synctest.Wait()
		const leading = `
# HELP arbor_leader_terms_won_total Terms of leadership of the election won by this replica.
# TYPE arbor_leader_terms_won_total counter
arbor_leader_terms_won_total{election="sched"} 1
# HELP arbor_leader_terms_lost_total Terms of the election that the backend reported lost (no renewal within the renew deadline, the key deleted, the lease revoked) before this replica resigned them.
# TYPE arbor_leader_terms_lost_total counter
arbor_leader_terms_lost_total{election="sched"} 0
# HELP arbor_leader_terms_resigned_total Terms of the election resigned by this replica, always after its actor returned: after a loss, a stop of the child, the actor's normal end, or a kept term's hold. A resignation that fails counts too; the term then ends with its TTL.
# TYPE arbor_leader_terms_resigned_total counter
arbor_leader_terms_resigned_total{election="sched"} 0
# HELP arbor_leader_terms_kept_total Incarnations of the singleton's child that led on under the term kept by the one before (after its failure or a restart), without an election.
# TYPE arbor_leader_terms_kept_total counter
arbor_leader_terms_kept_total{election="sched"} 0
# HELP arbor_leader_fail_stops_total Times the actor did not return within its stop bound after a loss and the exit function was called (the default one ends the process).
# TYPE arbor_leader_fail_stops_total counter
arbor_leader_fail_stops_total{election="sched"} 0
# HELP arbor_leader_leading 1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.
# TYPE arbor_leader_leading gauge
arbor_leader_leading{election="sched"} 1
# HELP arbor_leader_token The fencing token of this replica's current or last term of the election; 0 before its first.
# TYPE arbor_leader_token gauge
arbor_leader_token{election="sched"} 1
# HELP arbor_leader_start_wait_seconds Time from winning the election to starting the actor (the stop bound plus the drift margin), observed at each start after a win.
# TYPE arbor_leader_start_wait_seconds summary
arbor_leader_start_wait_seconds_sum{election="sched"} 2.1
arbor_leader_start_wait_seconds_count{election="sched"} 1
# HELP arbor_leader_stop_seconds Time from the loss of a term to the return of its actor, observed at each loss while the actor ran.
# TYPE arbor_leader_stop_seconds summary
arbor_leader_stop_seconds_sum{election="sched"} 0
arbor_leader_stop_seconds_count{election="sched"} 0
# HELP arbor_leader_last_start_wait_seconds The last start wait of this replica in the election (see arbor_leader_start_wait_seconds); 0 before the first.
# TYPE arbor_leader_last_start_wait_seconds gauge
arbor_leader_last_start_wait_seconds{election="sched"} 2.1
# HELP arbor_leader_last_stop_seconds The last time this replica's actor took to return after a loss of the election (see arbor_leader_stop_seconds); 0 before the first.
# TYPE arbor_leader_last_stop_seconds gauge
arbor_leader_last_stop_seconds{election="sched"} 0
`
		var names []string
		for line := range strings.Lines(leading) {
			if f := strings.Fields(line); len(f) >= 3 && f[1] == "TYPE" {
				names = append(names, f[2])
			}
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(leading), names...); err != nil {
			t.Errorf("a leading, gathered: %v", err)
		}
		if n := testutil.CollectAndCount(a.c); n != 11 {
			t.Errorf("a's collector sent %d metrics, want 11 (one per name)", n)
		}
		problems, err := testutil.GatherAndLint(reg)
		if err != nil || len(problems) != 0 {
			t.Errorf("lint: %v %v", problems, err)
		}

		el.Revoke()
		time.Sleep(startWait)
		synctest.Wait()
		checkTimeline(t, tl)
		compare(t, "a after the revoke", a.c, `
# HELP arbor_leader_terms_lost_total Terms of the election that the backend reported lost (no renewal within the renew deadline, the key deleted, the lease revoked) before this replica resigned them.
# TYPE arbor_leader_terms_lost_total counter
arbor_leader_terms_lost_total{election="sched"} 1
# HELP arbor_leader_terms_resigned_total Terms of the election resigned by this replica, always after its actor returned: after a loss, a stop of the child, the actor's normal end, or a kept term's hold. A resignation that fails counts too; the term then ends with its TTL.
# TYPE arbor_leader_terms_resigned_total counter
arbor_leader_terms_resigned_total{election="sched"} 1
# HELP arbor_leader_leading 1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.
# TYPE arbor_leader_leading gauge
arbor_leader_leading{election="sched"} 0
# HELP arbor_leader_stop_seconds Time from the loss of a term to the return of its actor, observed at each loss while the actor ran.
# TYPE arbor_leader_stop_seconds summary
arbor_leader_stop_seconds_sum{election="sched"} 1
arbor_leader_stop_seconds_count{election="sched"} 1
# HELP arbor_leader_last_stop_seconds The last time this replica's actor took to return after a loss of the election (see arbor_leader_stop_seconds); 0 before the first.
# TYPE arbor_leader_last_stop_seconds gauge
arbor_leader_last_stop_seconds{election="sched"} 1
`)
		compare(t, "b after the revoke", b.c, `
# HELP arbor_leader_terms_won_total Terms of leadership of the election won by this replica.
# TYPE arbor_leader_terms_won_total counter
arbor_leader_terms_won_total{election="sched"} 1
# HELP arbor_leader_leading 1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.
# TYPE arbor_leader_leading gauge
arbor_leader_leading{election="sched"} 1
# HELP arbor_leader_token The fencing token of this replica's current or last term of the election; 0 before its first.
# TYPE arbor_leader_token gauge
arbor_leader_token{election="sched"} 2
# HELP arbor_leader_start_wait_seconds Time from winning the election to starting the actor (the stop bound plus the drift margin), observed at each start after a win.
# TYPE arbor_leader_start_wait_seconds summary
arbor_leader_start_wait_seconds_sum{election="sched"} 2.1
arbor_leader_start_wait_seconds_count{election="sched"} 1
`)

		// A clean stop resigns.
		if err := stopB(); err != nil {
			t.Error(err)
		}
		if err := stopA(); err != nil {
			t.Error(err)
		}
		compare(t, "b stopped", b.c, `
# HELP arbor_leader_terms_resigned_total Terms of the election resigned by this replica, always after its actor returned: after a loss, a stop of the child, the actor's normal end, or a kept term's hold. A resignation that fails counts too; the term then ends with its TTL.
# TYPE arbor_leader_terms_resigned_total counter
arbor_leader_terms_resigned_total{election="sched"} 1
# HELP arbor_leader_leading 1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.
# TYPE arbor_leader_leading gauge
arbor_leader_leading{election="sched"} 0
`)
	})
}

// A failed actor's next incarnation leads on under the kept term; an
// actor that ignores the loss of its term calls the exit function; and
// the hand-overs of a replica are all counted in the sums, however
// rarely it is scraped.
func TestLeaderCollectorCountsKeptTermsFailStopsAndEveryHandOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(leaderTiming)
		release := make(chan struct{})
		var runs atomic.Int64
		a := newSingletonReplica(t, el, "a", actor.Func(func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				time.Sleep(time.Second) // the work of a failing actor, in the bubble's time
				return errors.New("boom")
			}
			<-ctx.Done()
			<-release // ignores the cancellation until released
			return nil
		}), supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: time.Second}))
		stop := start(t, a.sup)
		time.Sleep(startWait + 2*time.Second) // the failure at +1s, the restart after the 1s backoff
		synctest.Wait()
		if runs.Load() != 2 {
			t.Fatalf("%d runs of the actor, want 2", runs.Load())
		}
		el.Revoke()
		time.Sleep(stopBound)
		synctest.Wait()
		if n := a.exits.Load(); n != 1 {
			t.Fatalf("Exit called %d times, want 1", n)
		}
		compare(t, "a after its fail-stop", a.c, `
# HELP arbor_leader_terms_won_total Terms of leadership of the election won by this replica.
# TYPE arbor_leader_terms_won_total counter
arbor_leader_terms_won_total{election="sched"} 1
# HELP arbor_leader_terms_kept_total Incarnations of the singleton's child that led on under the term kept by the one before (after its failure or a restart), without an election.
# TYPE arbor_leader_terms_kept_total counter
arbor_leader_terms_kept_total{election="sched"} 1
# HELP arbor_leader_terms_lost_total Terms of the election that the backend reported lost (no renewal within the renew deadline, the key deleted, the lease revoked) before this replica resigned them.
# TYPE arbor_leader_terms_lost_total counter
arbor_leader_terms_lost_total{election="sched"} 1
# HELP arbor_leader_fail_stops_total Times the actor did not return within its stop bound after a loss and the exit function was called (the default one ends the process).
# TYPE arbor_leader_fail_stops_total counter
arbor_leader_fail_stops_total{election="sched"} 1
# HELP arbor_leader_leading 1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.
# TYPE arbor_leader_leading gauge
arbor_leader_leading{election="sched"} 1
`)

		// Released 2.5s after the loss, the actor returns, a resigns and,
		// alone, wins again; then two more revokes without a scrape
		// between them.
		time.Sleep(time.Second)
		close(release)
		time.Sleep(startWait)
		synctest.Wait()
		for range 2 {
			el.Revoke()
			time.Sleep(startWait)
			synctest.Wait()
		}
		compare(t, "a after three hand-overs", a.c, `
# HELP arbor_leader_terms_won_total Terms of leadership of the election won by this replica.
# TYPE arbor_leader_terms_won_total counter
arbor_leader_terms_won_total{election="sched"} 4
# HELP arbor_leader_terms_lost_total Terms of the election that the backend reported lost (no renewal within the renew deadline, the key deleted, the lease revoked) before this replica resigned them.
# TYPE arbor_leader_terms_lost_total counter
arbor_leader_terms_lost_total{election="sched"} 3
# HELP arbor_leader_token The fencing token of this replica's current or last term of the election; 0 before its first.
# TYPE arbor_leader_token gauge
arbor_leader_token{election="sched"} 4
# HELP arbor_leader_start_wait_seconds Time from winning the election to starting the actor (the stop bound plus the drift margin), observed at each start after a win.
# TYPE arbor_leader_start_wait_seconds summary
arbor_leader_start_wait_seconds_sum{election="sched"} 8.4
arbor_leader_start_wait_seconds_count{election="sched"} 4
# HELP arbor_leader_stop_seconds Time from the loss of a term to the return of its actor, observed at each loss while the actor ran.
# TYPE arbor_leader_stop_seconds summary
arbor_leader_stop_seconds_sum{election="sched"} 2.5
arbor_leader_stop_seconds_count{election="sched"} 3
# HELP arbor_leader_last_stop_seconds The last time this replica's actor took to return after a loss of the election (see arbor_leader_stop_seconds); 0 before the first.
# TYPE arbor_leader_last_stop_seconds gauge
arbor_leader_last_stop_seconds{election="sched"} 0
`)
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
}

// Bad singletons are refused at construction with a *supervisor.ConfigError
// naming the position.
func TestNewLeaderCollectorRejectsBadSingletons(t *testing.T) {
	el := leadertest.NewElection(leaderTiming)
	mk := func(election string) *leader.Singleton {
		s, err := leader.New(leader.Config{Election: election, Elector: el.Candidate("a"),
			Actor: blocker, StopBound: stopBound})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := mk("sched")
	for name, tc := range map[string]struct {
		singletons []*leader.Singleton
		field      string
	}{
		"nil":          {[]*leader.Singleton{good, nil}, "singletons[1]"},
		"zero":         {[]*leader.Singleton{new(leader.Singleton)}, "singletons[0]"},
		"duplicate":    {[]*leader.Singleton{good, mk("other"), mk("sched")}, "singletons[2]"},
		"invalid utf8": {[]*leader.Singleton{mk("sched\xff")}, "singletons[0]"},
	} {
		c, err := arborprom.NewLeaderCollector(tc.singletons...)
		var ce *supervisor.ConfigError
		if c != nil || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: NewLeaderCollector = %v, %v; want a *ConfigError for %s", name, c, err, tc.field)
		}
	}
	if _, err := arborprom.NewLeaderCollector(good, mk("other")); err != nil {
		t.Errorf("two elections: %v", err)
	}
}

// checkTimeline fails the test if two actors ran at once.
func checkTimeline(t *testing.T, tl *leadertest.Timeline) {
	t.Helper()
	if err := tl.Check(); err != nil {
		t.Error(err)
	}
}
