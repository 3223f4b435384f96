package leader_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// Three replicas: the first to win runs its actor after the start delay,
// with its token in the context; the others wait, ready, shown as waiting
// for leadership.
func TestOnlyTheLeaderRunsItsActorAndStandbysAreReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		t0 := time.Now()
		var rs []*replica
		for _, name := range []string{"a", "b", "c"} {
			rs = append(rs, newReplica(t, el, name, tl.Actor(name, 0)).start(t))
			synctest.Wait()
		}
		holder, tok, ok := el.Holder()
		if !ok || holder != "a" || tok != 1 {
			t.Fatalf("holder %q token %d (%v), want a with token 1", holder, tok, ok)
		}
		if n := rs[0].node(t); n.Status != "won leadership (token 1); starting after 2.1s" || !n.Ready {
			t.Errorf("a during the start delay: status %q ready=%v", n.Status, n.Ready)
		}
		if tl.Starts("") != 0 {
			t.Fatalf("an actor started before the start delay:\n%v", tl)
		}
		time.Sleep(startWait)
		synctest.Wait()
		es := tl.Entries()
		if len(es) != 1 || es[0].Who != "a" || es[0].Token != 1 || !es[0].At.Equal(t0.Add(startWait)) {
			t.Fatalf("timeline:\n%v\nwant a's start with token 1 at +%v", tl, startWait)
		}
		if n := rs[0].node(t); n.Status != "leader (token 1)" {
			t.Errorf("a's status %q", n.Status)
		}
		wantStandby(t, rs[1])
		wantStandby(t, rs[2])
		if st := rs[0].single.Stats(); st.Won != 1 || !st.Leading || st.Token != 1 || st.StartWait != startWait {
			t.Errorf("a's stats %+v", st)
		}
	})
}

// A revoked lease: the leader and the others learn at once. The old actor
// is cancelled with ErrLeadershipLost and returns (within its stop bound)
// before the new leader's actor starts, which waits the start delay for
// exactly this. The loss is no failure: no restart, and the former leader
// campaigns again.
func TestRevokedLeaseHandsOverWithoutOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", tl.Actor("a", time.Second)).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		revoked := time.Now()
		el.Revoke()
		synctest.Wait()
		if holder, tok, _ := el.Holder(); holder != "b" || tok != 2 {
			t.Fatalf("holder %q token %d after the revoke, want b with 2", holder, tok)
		}
		time.Sleep(startWait)
		synctest.Wait()
		checkTimeline(t, tl)
		es := tl.Entries()
		if len(es) != 3 || es[1].Who != "a" || es[1].Start || es[2].Who != "b" || !es[2].Start || es[2].Token != 2 {
			t.Fatalf("timeline:\n%v\nwant a's start, a's return, b's start", tl)
		}
		if got, want := es[1].At.Sub(revoked), time.Second; got != want {
			t.Errorf("a returned %v after the revoke, want %v", got, want)
		}
		if got := es[2].At.Sub(revoked); got != startWait {
			t.Errorf("b started %v after the revoke, want %v", got, startWait)
		}
		if es[1].Detail != "leader: leadership lost: leadertest: lease revoked" {
			t.Errorf("a's actor saw the cause %q", es[1].Detail)
		}
		wantStandby(t, a)
		if st := a.single.Stats(); st.Lost != 1 || st.Resigned != 1 || st.StopTook != time.Second || st.Leading {
			t.Errorf("a's stats %+v", st)
		}
		want := []string{
			"leader: campaigning",
			"leader: won the election; waiting for any former leader to stop",
			"leader: actor starts",
			"leader: lost leadership while its actor ran; stopping it",
			"leader: actor returned after the loss",
			"leader: resigned after its actor returned",
			"leader: campaigning",
		}
		if got := a.messages(); !slices.Equal(got, want) {
			t.Errorf("a's log:\n%q\nwant\n%q", got, want)
		}
	})
}

// A leader cut off from the backend stops renewing: after the renew
// deadline it treats the term as lost and cancels its actor, which returns
// within its stop bound, before the TTL frees the election; the next leader
// starts its actor a start delay after that.
func TestCutOffLeaderStopsBeforeTheTakeover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		newReplica(t, el, "a", tl.Actor("a", stopBound-time.Millisecond)).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		cut := time.Now()
		el.CutOff()
		time.Sleep(timing.TTL + startWait)
		synctest.Wait()
		checkTimeline(t, tl)
		es := tl.Entries()
		if len(es) != 3 {
			t.Fatalf("timeline:\n%v", tl)
		}
		if got, want := es[1].At.Sub(cut), timing.RenewDeadline+stopBound-time.Millisecond; got != want {
			t.Errorf("a returned %v after the cut, want %v", got, want)
		}
		if got, want := es[2].At.Sub(cut), timing.TTL+startWait; got != want {
			t.Errorf("b started %v after the cut, want %v", got, want)
		}
	})
}

// An actor that ignores the cancellation ends the process: past its stop
// bound after the loss, one log line and Config.Exit(1). With an Exit that
// returns (a test's), the Singleton goes on waiting for the actor.
func TestActorIgnoringCancellationCallsExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		release := make(chan struct{})
		stubborn := func(ctx context.Context) error {
			<-release
			return nil
		}
		a := newReplica(t, el, "a", actorFunc(stubborn)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		el.Revoke()
		time.Sleep(stopBound - time.Millisecond)
		synctest.Wait()
		if got := a.exits.get(); len(got) != 0 {
			t.Fatalf("Exit called before the stop bound: %v", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := a.exits.get(); !slices.Equal(got, []int{1}) {
			t.Fatalf("Exit calls %v, want [1]", got)
		}
		lines := a.logs.FilterMessageSnippet("fail-stop").All()
		if len(lines) != 1 || lines[0].Level.String() != "error" {
			t.Errorf("fail-stop lines: %v", lines)
		}
		if st := a.single.Stats(); st.FailStops != 1 {
			t.Errorf("stats %+v", st)
		}
		close(release)
		synctest.Wait()
		// Alone in the election, a resigned and won again.
		if holder, tok, _ := el.Holder(); holder != "a" || tok != 2 {
			t.Errorf("holder %q token %d, want a with 2", holder, tok)
		}
	})
}

// An actor that fails while leading keeps the leadership through its
// restart and backoff: the next incarnation leads on under the same token
// at once, with no election and no start delay.
func TestFailingActorKeepsLeadershipThroughItsRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", failing(tl, "a", time.Second),
			supervisor.WithBackoff(policy.Backoff{Initial: 2 * time.Second, Max: 2 * time.Second})).start(t)
		synctest.Wait()
		b := newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait + time.Second) // a's actor fails
		synctest.Wait()
		if n := a.node(t); n.State != supervisor.StateBackoff || n.Restarts != 0 && n.Restarts != 1 {
			t.Fatalf("a after the failure: %v restarts=%d\n%v\n%v", n.State, n.Restarts, tl, a.sup.Snapshot())
		}
		if holder, _, _ := el.Holder(); holder != "a" {
			t.Fatalf("holder %q during a's backoff, want a", holder)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		es := tl.Entries()
		if len(es) != 3 || es[2].Who != "a" || !es[2].Start || es[2].Token != 1 {
			t.Fatalf("timeline:\n%v\nwant a's second start under token 1", tl)
		}
		if got := es[2].At.Sub(es[1].At); got != 2*time.Second {
			t.Errorf("a restarted %v after its failure, want the backoff's 2s", got)
		}
		if st := a.single.Stats(); st.Won != 1 || st.Kept != 1 || st.Resigned != 0 {
			t.Errorf("a's stats %+v", st)
		}
		wantStandby(t, b)
		checkTimeline(t, tl)
	})
}

// When the supervisor gives up on the failing child (here at once:
// MaxRestarts 0), no incarnation takes the kept term: it is resigned
// after Hold (the TTL), and another replica takes over.
func TestSupervisorGivingUpResignsAfterHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", failing(tl, "a", time.Second),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second})).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait + time.Second)
		synctest.Wait()
		if done, err := a.run.Returned(); !done || err == nil {
			t.Fatalf("a's tree: returned %v, %v; want an escalation", done, err)
		}
		time.Sleep(timing.TTL - time.Millisecond)
		synctest.Wait()
		if holder, _, _ := el.Holder(); holder != "a" {
			t.Fatalf("holder %q before Hold passed, want a", holder)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if holder, tok, _ := el.Holder(); holder != "b" || tok != 2 {
			t.Fatalf("holder %q token %d after Hold, want b with 2", holder, tok)
		}
		time.Sleep(startWait)
		synctest.Wait()
		checkTimeline(t, tl)
		if tl.Starts("b") != 1 {
			t.Errorf("timeline:\n%v", tl)
		}
	})
}

// A manual Restart keeps the leadership (same token, no start delay); a
// Remove resigns it at once, and another replica takes over.
func TestRestartKeepsLeadershipAndRemoveResigns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", tl.Actor("a", 0)).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		if err := a.sup.Restart("sched"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		es := tl.Entries()
		if len(es) != 3 || es[2].Who != "a" || es[2].Token != 1 || !es[2].At.Equal(es[1].At) {
			t.Fatalf("timeline after Restart:\n%v\nwant a's restart at once under token 1", tl)
		}
		if err := a.sup.Remove("sched"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if holder, tok, _ := el.Holder(); holder != "b" || tok != 2 {
			t.Fatalf("holder %q token %d after Remove, want b with 2", holder, tok)
		}
		time.Sleep(startWait)
		synctest.Wait()
		checkTimeline(t, tl)
		if tl.Starts("b") != 1 {
			t.Errorf("timeline:\n%v", tl)
		}
	})
}

// A clean stop of the leader's tree resigns after the actor returned; an
// actor that ends by itself resigns too, and the child ends normally.
func TestCleanStopAndNormalEndResign(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", tl.Actor("a", 0)).start(t)
		synctest.Wait()
		once := func(ctx context.Context) error {
			tok, _ := leader.TokenFrom(ctx)
			tl.Add("b", true, tok, "")
			tl.Add("b", false, tok, "done")
			return nil
		}
		b := newReplica(t, el, "b", actorFunc(once))
		b.sup, _ = supervisor.New("b", supervisor.WithChildren(func() supervisor.Child {
			c := b.single.Child("sched")
			c.Restart = policy.Transient
			return c
		}()))
		b.start(t)
		time.Sleep(startWait)
		synctest.Wait()
		if err := a.run.Stop(); err != nil {
			t.Fatal(err)
		}
		if holder, tok, _ := el.Holder(); holder != "b" || tok != 2 {
			t.Fatalf("holder %q token %d after a's stop, want b with 2", holder, tok)
		}
		time.Sleep(startWait)
		synctest.Wait()
		if _, _, held := el.Holder(); held {
			t.Errorf("b's actor ended, yet the election is held")
		}
		if n := b.node(t); n.State != supervisor.StateStopped || n.Restarts != 0 {
			t.Errorf("b's child %v restarts=%d, want stopped", n.State, n.Restarts)
		}
		checkTimeline(t, tl)
	})
}

type actorFunc func(context.Context) error

func (f actorFunc) Run(ctx context.Context) error { return f(ctx) }

// A stop during the start delay resigns at once; no actor ever ran.
func TestStopDuringTheStartDelayResigns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := newReplica(t, el, "a", tl.Actor("a", 0)).start(t)
		time.Sleep(startWait / 2)
		synctest.Wait()
		if err := a.run.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, _, held := el.Holder(); held || tl.Starts("") != 0 {
			t.Errorf("held=%v after the stop; timeline:\n%v", held, tl)
		}
	})
}

// A panic in the actor is the child's panic (the supervisor records it and
// restarts the child); the leadership is kept through the restart.
func TestPanickingActorKeepsLeadership(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		panicked := false
		a := newReplica(t, el, "a", actorFunc(func(ctx context.Context) error {
			tok, _ := leader.TokenFrom(ctx)
			tl.Add("a", true, tok, "")
			defer tl.Add("a", false, tok, "")
			if !panicked {
				panicked = true
				panic("bad state")
			}
			<-ctx.Done()
			return nil
		})).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		n := a.node(t)
		if n.Restarts != 1 || !strings.Contains(n.LastError, "panic: bad state") {
			t.Errorf("after the panic: restarts=%d last error %q", n.Restarts, n.LastError)
		}
		es := tl.Entries()
		if len(es) != 3 || es[2].Token != 1 || !es[2].At.Equal(es[0].At) {
			t.Errorf("timeline:\n%v\nwant a restart at once under token 1", tl)
		}
		if st := a.single.Stats(); st.Won != 1 || st.Kept != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// One Singleton is one candidate: a second Run while one runs is refused.
func TestSecondConcurrentRunIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		a := newReplica(t, el, "a", new(leadertest.Timeline).Actor("a", 0)).start(t)
		synctest.Wait()
		if err := a.single.Run(context.Background()); !errors.Is(err, leader.ErrAlreadyRunning) {
			t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
		}
	})
}

// Elections and token changes reach the tree's events: every change of the
// singleton's status is an EventStatus for the observers and the page.
func TestElectionsAreTreeEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		rec := supervisortest.NewRecorder()
		newReplica(t, el, "a", tl.Actor("a", 0), supervisor.WithObserver(rec)).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		el.Revoke()
		synctest.Wait()
		var got []string
		for _, e := range rec.Filter(supervisor.EventStatus) {
			got = append(got, e.Status)
		}
		want := []string{
			"waiting for leadership",
			"won leadership (token 1); starting after 2.1s",
			"leader (token 1)",
			"lost leadership (token 1); stopping",
			"waiting for leadership",
		}
		if !slices.Equal(got, want) {
			t.Errorf("status events:\n%q\nwant\n%q", got, want)
		}
	})
}
