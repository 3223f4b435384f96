package leader_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
)

// An actor that hangs while leading (it misses its liveness deadline) has
// failed, as one that returns an error: the supervisor cancels and restarts
// it, and the leadership is kept through the restart, the next incarnation
// leading on under the same token without an election or a start delay.
func TestHungActorKeepsLeadershipThroughItsRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		silent := func(ctx context.Context) error {
			tok, _ := leader.TokenFrom(ctx)
			tl.Add("a", true, tok, "")
			<-ctx.Done()
			tl.Add("a", false, tok, context.Cause(ctx).Error())
			return nil
		}
		a := newReplicaChild(t, el, "a", actorFunc(silent), func(c *supervisor.Child) {
			c.Liveness = &supervisor.Liveness{Timeout: time.Second}
		}).start(t)
		time.Sleep(startWait + time.Second + time.Millisecond) // hung once
		synctest.Wait()
		es := tl.Entries()
		if len(es) != 3 || es[1].Detail != supervisor.ErrHung.Error() || !es[2].Start || es[2].Token != 1 || !es[2].At.Equal(es[1].At) {
			t.Fatalf("timeline:\n%v\nwant a's start, its hang, its restart at once under token 1", tl)
		}
		if st := a.single.Stats(); st.Won != 1 || st.Kept != 1 || st.Resigned != 0 {
			t.Errorf("a's stats %+v", st)
		}
	})
}
