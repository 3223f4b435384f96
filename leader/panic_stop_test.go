package leader_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader/leadertest"
)

// An actor that panics while its tree shuts down has not failed in a way
// a later incarnation could mend: there is none. The leadership is
// resigned as at any clean stop, after the actor's return, and another
// replica takes over at once rather than after Hold.
func TestActorPanickingDuringAShutdownResigns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		panicky := func(ctx context.Context) error {
			<-ctx.Done()
			panic("cleaning up went wrong")
		}
		a := newReplica(t, el, "a", actorFunc(panicky)).start(t)
		synctest.Wait()
		newReplica(t, el, "b", tl.Actor("b", 0)).start(t)
		time.Sleep(startWait)
		synctest.Wait()
		_ = a.run.Stop() // the panic is the child's error
		synctest.Wait()
		if holder, tok, _ := el.Holder(); holder != "b" || tok != 2 {
			t.Fatalf("holder %q token %d after a's shutdown, want b with 2 at once", holder, tok)
		}
		if st := a.single.Stats(); st.Resigned != 1 || st.Kept != 0 {
			t.Errorf("a's stats %+v", st)
		}
	})
}
