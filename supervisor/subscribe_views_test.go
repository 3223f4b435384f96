package supervisor_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// Subscriptions made and closed while a tree runs, at any level, get
// exactly the events of their subtree from then on: the views the runs keep
// of the subscriptions above them follow every change.
func TestSubscriptionsFollowChangesWhileTheTreeRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		idle := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		// root <- mid <- low, each with a worker "w".
		low := ssNew(t, "low", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: idle}))
		mid := ssNew(t, "mid", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: idle}, supervisor.Child{Name: "low", Actor: low}))
		root := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: idle}, supervisor.Child{Name: "mid", Actor: mid}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		synctest.Wait()

		// restart restarts the worker of each level, top first.
		restart := func() {
			t.Helper()
			for _, s := range []*supervisor.Supervisor{root, mid, low} {
				if err := s.Restart("w"); err != nil {
					t.Fatal(err)
				}
			}
			synctest.Wait()
		}
		// seen returns the paths of the started events sub got, in order.
		seen := func(sub *supervisor.Subscription) []string {
			var out []string
			for {
				select {
				case e := <-sub.Events():
					if e.Kind == supervisor.EventStarted {
						out = append(out, e.Path)
					}
				default:
					return out
				}
			}
		}
		check := func(what string, sub *supervisor.Subscription, want ...string) {
			t.Helper()
			got := seen(sub)
			if len(got) != len(want) {
				t.Errorf("%s: started events %q, want %q", what, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: started events %q, want %q", what, got, want)
					return
				}
			}
		}

		// Events flow before any subscription: the runs' views are made
		// with none, and must see the ones made now.
		restart()
		atMid, err := mid.Subscribe(64)
		if err != nil {
			t.Fatal(err)
		}
		restart()
		check("mid, subscribed while running", atMid, "root/mid/w", "root/mid/low/w")
		atRoot, err := root.Subscribe(64)
		if err != nil {
			t.Fatal(err)
		}
		atLow, err := low.Subscribe(64)
		if err != nil {
			t.Fatal(err)
		}
		restart()
		check("root", atRoot, "root/w", "root/mid/w", "root/mid/low/w")
		check("mid, with root and low subscribed too", atMid, "root/mid/w", "root/mid/low/w")
		check("low", atLow, "root/mid/low/w")
		atMid.Close()
		restart()
		check("root, after mid closed", atRoot, "root/w", "root/mid/w", "root/mid/low/w")
		check("low, after mid closed", atLow, "root/mid/low/w")
		atRoot.Close()
		atLow.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
