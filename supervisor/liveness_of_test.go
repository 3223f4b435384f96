package supervisor_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// BeatTimeout tells a child its beat deadline; a child without one, one in
// the probe form and a context from outside a supervisor have none.
func TestBeatTimeoutReadsTheChildsDeadline(t *testing.T) {
	if _, ok := supervisor.BeatTimeout(context.Background()); ok {
		t.Error("BeatTimeout outside a supervisor reports a deadline")
	}
	synctest.Test(t, func(t *testing.T) {
		got := make(chan string, 3)
		report := func(name string) actor.Func {
			return func(ctx context.Context) error {
				d, ok := supervisor.BeatTimeout(ctx)
				got <- name + ":" + d.String() + ":" + map[bool]string{true: "ok", false: "none"}[ok]
				actor.Beat(ctx)
				<-ctx.Done()
				return nil
			}
		}
		probe := func(context.Context) error { return nil }
		sup := snNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "beats", Actor: report("beats"), Liveness: &supervisor.Liveness{Timeout: 3 * time.Second}},
			supervisor.Child{Name: "probed", Actor: report("probed"), Liveness: &supervisor.Liveness{Timeout: time.Second, Probe: probe}},
			supervisor.Child{Name: "plain", Actor: report("plain")},
		))
		supervisortest.Start(t, sup)
		synctest.Wait()
		want := map[string]bool{"beats:3s:ok": true, "probed:0s:none": true, "plain:0s:none": true}
		for range 3 {
			if g := <-got; !want[g] {
				t.Errorf("got %q", g)
			}
		}
	})
}
