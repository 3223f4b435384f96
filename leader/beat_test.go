package leader_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
)

// beating returns an actor that records on tl, beats every 300ms while it
// leads, and, once cancelled, takes stopTakes to return without beating.
func beating(tl *leadertest.Timeline, who string, stopTakes time.Duration) actorFunc {
	return func(ctx context.Context) error {
		tok, _ := leader.TokenFrom(ctx)
		tl.Add(who, true, tok, "")
		t := time.NewTicker(300 * time.Millisecond)
		defer t.Stop()
		for ctx.Err() == nil {
			actor.Beat(ctx)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
		time.Sleep(stopTakes) // cleaning up, without beats
		tl.Add(who, false, tok, "")
		return nil
	}
}

// withLiveness returns a replica whose singleton child has a 1s beat
// deadline.
func withLiveness(t *testing.T, el *leadertest.Election, name string, a actorFunc) *replica {
	t.Helper()
	return newReplicaChild(t, el, name, a, func(c *supervisor.Child) {
		c.Liveness = &supervisor.Liveness{Timeout: time.Second}
	})
}

// Heartbeats do not apply while a singleton waits: a standby with a 1s
// beat deadline waits for 20s without being hung, and an actor that stops
// after a loss has its stop bound, not the deadline (1.4s without a beat).
// While leading, the actor's own beats count: one that does not beat is
// hung.
func TestHeartbeatsDoNotApplyWhileWaitingOrStoppingAfterALoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		a := withLiveness(t, el, "a", beating(tl, "a", 1400*time.Millisecond)).start(t)
		synctest.Wait()
		b := withLiveness(t, el, "b", beating(tl, "b", 0)).start(t)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if n := b.node(t); n.Restarts != 0 || n.Status != leader.StatusWaiting {
			t.Fatalf("standby b: restarts=%d status %q last error %q", n.Restarts, n.Status, n.LastError)
		}
		el.Revoke()
		time.Sleep(startWait + time.Second)
		synctest.Wait()
		for _, r := range []*replica{a, b} {
			if n := r.node(t); n.Restarts != 0 {
				t.Errorf("%s: restarts=%d last error %q", r.name, n.Restarts, n.LastError)
			}
		}
		checkTimeline(t, tl)
		if tl.Starts("b") != 1 {
			t.Fatalf("timeline:\n%v", tl)
		}

		silent := withLiveness(t, leadertest.NewElection(timing), "c", func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		}).start(t)
		time.Sleep(startWait + time.Second + time.Millisecond)
		synctest.Wait()
		if n := silent.node(t); n.Restarts != 1 {
			t.Errorf("a leading actor that never beats: restarts=%d, want 1 (hung)", n.Restarts)
		}
	})
}
