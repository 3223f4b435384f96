package arborprom_test

import (
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/policy"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// One failure under OneForAll restarts every child: arbor_restarts_total
// counts each child restarted (3), as the children's restarts gauges do,
// and the siblings' exits are class "group", not "shutdown".
func TestGroupRestartCountsEveryChildAndItsExitsAsGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := mustNew(t, "root", supervisor.WithStrategy(policy.OneForAll),
			supervisor.WithChildren(
				supervisor.Child{Name: "a", Actor: blocker},
				supervisor.Child{Name: "b", Actor: failing(1, erring)},
				supervisor.Child{Name: "c", Actor: blocker},
			))
		c, err := arborprom.NewCollector(root, arborprom.WithChildLabels(true))
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		got := values(t, c)
		for key, want := range map[string]float64{
			`arbor_restarts_total{supervisor="root"}`:               3,
			`arbor_exits_total{class="abnormal",supervisor="root"}`: 1,
			`arbor_exits_total{class="group",supervisor="root"}`:    2,
			`arbor_exits_total{class="shutdown",supervisor="root"}`: 0,
			`arbor_child_restarts{child="a",supervisor="root"}`:     1,
			`arbor_child_restarts{child="b",supervisor="root"}`:     1,
			`arbor_child_restarts{child="c",supervisor="root"}`:     1,
		} {
			if v, ok := got[key]; !ok || v != want {
				t.Errorf("%s = %v (present: %v), want %v", key, v, ok, want)
			}
		}
		if err := stop(); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}
