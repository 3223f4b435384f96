package arborprom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// With child labels, each child has its state, its restarts in the current
// run and its readiness; the tree is not ready while a WaitReady child is
// starting.
func TestChildLabels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		serve := make(chan struct{})
		web := actor.Func(func(ctx context.Context) error {
			select {
			case <-serve:
				actor.Ready(ctx)
			case <-ctx.Done():
				return nil
			}
			<-ctx.Done()
			return nil
		})
		root := mustNew(t, "root",
			supervisor.WithChildren(supervisor.Child{
				Name: "flaky", Actor: failing(1, erring), Backoff: &policy.Backoff{Initial: time.Minute},
			}))
		c, err := arborprom.NewCollector(root, arborprom.WithChildLabels(true))
		if err != nil {
			t.Fatal(err)
		}
		if n := testutil.CollectAndCount(c, "arbor_child_state"); n != 0 {
			t.Errorf("before Run: %d arbor_child_state series, want none", n)
		}
		stop := start(t, root)
		synctest.Wait()
		added := make(chan error, 1)
		go func() { added <- root.Add(supervisor.Child{Name: "web", Actor: web, WaitReady: true}) }()
		synctest.Wait()

		const starting = `
# HELP arbor_child_state 1 for the current state of each child; the series of other states are absent.
# TYPE arbor_child_state gauge
arbor_child_state{child="flaky",state="backoff",supervisor="root"} 1
arbor_child_state{child="web",state="starting",supervisor="root"} 1
# HELP arbor_child_restarts Restarts of the child in its supervisor's current run (a gauge: it starts again from 0 with each run).
# TYPE arbor_child_restarts gauge
arbor_child_restarts{child="flaky",supervisor="root"} 1
arbor_child_restarts{child="web",supervisor="root"} 0
# HELP arbor_child_ready 1 when the child is running and ready, else 0.
# TYPE arbor_child_ready gauge
arbor_child_ready{child="flaky",supervisor="root"} 0
arbor_child_ready{child="web",supervisor="root"} 0
# HELP arbor_tree_ready 1 when the tree is ready: running, past its start phase, not shutting down, every WaitReady child running and ready.
# TYPE arbor_tree_ready gauge
arbor_tree_ready{supervisor="root"} 0
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(starting),
			"arbor_child_state", "arbor_child_restarts", "arbor_child_ready", "arbor_tree_ready"); err != nil {
			t.Error(err)
		}

		close(serve)
		if err := <-added; err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute) // flaky's backoff
		synctest.Wait()
		const ready = `
# HELP arbor_child_state 1 for the current state of each child; the series of other states are absent.
# TYPE arbor_child_state gauge
arbor_child_state{child="flaky",state="running",supervisor="root"} 1
arbor_child_state{child="web",state="running",supervisor="root"} 1
# HELP arbor_child_ready 1 when the child is running and ready, else 0.
# TYPE arbor_child_ready gauge
arbor_child_ready{child="flaky",supervisor="root"} 1
arbor_child_ready{child="web",supervisor="root"} 1
# HELP arbor_tree_ready 1 when the tree is ready: running, past its start phase, not shutting down, every WaitReady child running and ready.
# TYPE arbor_tree_ready gauge
arbor_tree_ready{supervisor="root"} 1
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(ready),
			"arbor_child_state", "arbor_child_ready", "arbor_tree_ready"); err != nil {
			t.Error(err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if n := testutil.CollectAndCount(c, "arbor_child_state", "arbor_child_ready", "arbor_child_restarts"); n != 0 {
			t.Errorf("after Run: %d child series, want none", n)
		}
	})
}

// A child that does not stop in time is stuck: the tree is not alive until
// its goroutine returns.
func TestStuckChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		stubborn := actor.Func(func(ctx context.Context) error {
			<-release // ignores ctx
			return nil
		})
		root := mustNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "ok", Actor: blocker},
			supervisor.Child{Name: "stubborn", Actor: stubborn, ShutdownTimeout: time.Second},
		))
		c, err := arborprom.NewCollector(root)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		var stuck *supervisor.StuckError
		if err := root.Remove("stubborn"); !errors.As(err, &stuck) {
			t.Fatalf("Remove = %v, want a *StuckError", err)
		}
		v := values(t, c)
		for key, want := range map[string]float64{
			`arbor_tree_alive{supervisor="root"}`:             0,
			`arbor_tree_stuck_children{supervisor="root"}`:    1,
			`arbor_children{state="stuck",supervisor="root"}`: 1,
			`arbor_stop_timeouts_total{supervisor="root"}`:    1,
			`arbor_tree_ready{supervisor="root"}`:             1, // stuck is a matter of liveness
		} {
			if got := v[key]; got != want {
				t.Errorf("stuck: %s = %v, want %v", key, got, want)
			}
		}
		close(release)
		synctest.Wait()
		v = values(t, c)
		for key, want := range map[string]float64{
			`arbor_tree_alive{supervisor="root"}`:             1,
			`arbor_tree_stuck_children{supervisor="root"}`:    0,
			`arbor_children{state="stuck",supervisor="root"}`: 0,
			`arbor_stop_timeouts_total{supervisor="root"}`:    1,
		} {
			if got := v[key]; got != want {
				t.Errorf("released: %s = %v, want %v", key, got, want)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
