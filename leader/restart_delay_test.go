package leader_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// A replica restarted (by Supervisor.Restart, or with its group) while it
// waits out the start delay after winning keeps its term, but not the
// right to skip what is left of the delay: the former leader, told of its
// loss at the same moment, may still be stopping. The next incarnation
// starts its actor only when the delay that began at the win has passed.
func TestRestartDuringTheStartDelayStillWaitsItOut(t *testing.T) {
	for _, how := range []string{"Restart", "group restart"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				el := leadertest.NewElection(timing)
				tl := new(leadertest.Timeline)
				newReplica(t, el, "a", tl.Actor("a", time.Second)).start(t)
				synctest.Wait()
				fail := make(chan struct{}, 1) // one failure of the sibling
				sib := supervisor.Child{Name: "sib", Actor: actor.Func(func(ctx context.Context) error {
					select {
					case <-fail:
						return errors.New("sibling failed")
					case <-ctx.Done():
						return nil
					}
				})}
				b := newReplica(t, el, "b", tl.Actor("b", 0),
					supervisor.WithStrategy(policy.OneForAll), supervisor.WithChildren(sib)).start(t)
				time.Sleep(startWait)
				synctest.Wait()
				revoked := time.Now()
				el.Revoke() // a stops (1s), b wins and waits startWait
				synctest.Wait()
				time.Sleep(100 * time.Millisecond)
				if how == "Restart" {
					if err := b.sup.Restart("sched"); err != nil {
						t.Fatal(err)
					}
				} else {
					fail <- struct{}{}
				}
				synctest.Wait()
				time.Sleep(startWait)
				synctest.Wait()
				checkTimeline(t, tl)
				es := tl.Entries()
				if len(es) != 3 || es[2].Who != "b" || !es[2].Start || es[2].Token != 2 {
					t.Fatalf("timeline:\n%v\nwant a's start, a's return, b's start under token 2", tl)
				}
				if got := es[2].At.Sub(revoked); got != startWait {
					t.Errorf("b started %v after the revoke, want the start delay %v", got, startWait)
				}
			})
		})
	}
}
