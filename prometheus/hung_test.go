package arborprom_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// A child that misses its liveness deadline counts as a failure of kind
// "hung", and shows in state "hung" until its incarnation returns.
func TestHungChildIsCountedAsAHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var runs int
		w := actor.Func(func(ctx context.Context) error {
			if runs++; runs == 1 {
				<-release // hung: returns only when released, after its cancel
				return nil
			}
			<-ctx.Done()
			return nil
		})
		root := mustNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w,
			ShutdownTimeout: time.Minute, Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		c, err := arborprom.NewCollector(root, arborprom.WithChildLabels(true))
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		v := values(t, c)
		for key, want := range map[string]float64{
			`arbor_children{state="hung",supervisor="root"}`:              1,
			`arbor_child_state{child="w",state="hung",supervisor="root"}`: 1,
			`arbor_failures_total{kind="hung",supervisor="root"}`:         1,
			`arbor_failures_total{kind="error",supervisor="root"}`:        0,
			`arbor_exits_total{class="abnormal",supervisor="root"}`:       1,
		} {
			if v[key] != want {
				t.Errorf("%s = %v, want %v", key, v[key], want)
			}
		}
		close(release)
		synctest.Wait()
		v = values(t, c)
		if v[`arbor_children{state="running",supervisor="root"}`] != 1 || v[`arbor_restarts_total{supervisor="root"}`] != 1 ||
			v[`arbor_failures_total{kind="hung",supervisor="root"}`] != 1 {
			t.Errorf("after the hung incarnation returned: %v", v)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
