package kubeleader_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/leader"
	kubeleader "github.com/arbor-go/arbor/leader/kube"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A's actor fails; its term is kept for Hold (1s), less than its backoff
// (1.2s), so the resignation of the expired term (slow: 300ms a request)
// is still running when the restart campaigns. The campaign must not win
// the Lease as a renewal under the same identity while the resignation
// then clears it for b: one actor at a time throughout (whichever of a and
// b wins next).
func TestHoldExpiryRacingARestartKeepsOneLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newLeaseStore()
		store.latency = 300 * time.Millisecond
		tl := new(leadertest.Timeline)
		el, err := kubeleader.New(kubeleader.Config{Client: store.clientset("a").CoordinationV1(), Namespace: "default", Name: "sched",
			Identity: "a", LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod})
		if err != nil {
			t.Fatal(err)
		}
		failing := func(ctx context.Context) error {
			tok, _ := leader.TokenFrom(ctx)
			tl.Add("a", true, tok, "")
			timer := time.NewTimer(time.Second)
			defer timer.Stop()
			select {
			case <-timer.C:
				tl.Add("a", false, tok, "failed")
				return errors.New("boom")
			case <-ctx.Done():
				time.Sleep(time.Second) // cleaning up
				tl.Add("a", false, tok, context.Cause(ctx).Error())
				return nil
			}
		}
		single, err := leader.New(leader.Config{Election: "sched", Elector: el, Actor: actorFunc(failing), StopBound: stopBound, Hold: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sup, err := supervisor.New("a", supervisor.WithChildren(single.Child("sched")),
			supervisor.WithBackoff(policy.Backoff{Initial: 1200 * time.Millisecond, Max: 1200 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		supervisortest.Start(t, sup)
		time.Sleep(time.Second) // a holds the Lease
		synctest.Wait()
		newReplica(t, store, "b", tl, time.Second)
		time.Sleep(3 * leaseDuration)
		synctest.Wait()
		if err := tl.Check(); err != nil {
			t.Fatal(err)
		}
		if tl.Starts("a")+tl.Starts("b") < 2 {
			t.Fatalf("timeline:\n%v\nwant a leader after the resignation (a or b)", tl)
		}
	})
}

type actorFunc func(context.Context) error

func (f actorFunc) Run(ctx context.Context) error { return f(ctx) }
