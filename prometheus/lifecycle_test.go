package arborprom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// While its parent waits to restart it, a child supervisor that gave up is
// not running: its counters keep their last values, and go on from there
// when it runs again.
func TestSubtreeRestartKeepsCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fail := make(chan struct{})
		var first = true
		pool := actor.Func(func(ctx context.Context) error {
			if first {
				first = false
				select {
				case <-fail:
					return errors.New("disk on fire")
				case <-ctx.Done():
					return nil
				}
			}
			<-ctx.Done()
			return nil
		})
		cache := mustNew(t, "cache", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker}))
		db := mustNew(t, "db",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "cache", Actor: cache},
				supervisor.Child{Name: "pool", Actor: pool},
			))
		root := mustNew(t, "root", supervisor.WithChildren(supervisor.Child{
			Name: "db", Actor: db, Backoff: &policy.Backoff{Initial: time.Minute},
		}))
		c, err := arborprom.NewCollector(root)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		running := values(t, c)

		close(fail) // db gives up; root waits a minute to restart it
		synctest.Wait()
		restarting := values(t, c)
		checkMonotone(t, running, restarting)
		for key, want := range map[string]float64{
			`arbor_children{state="backoff",supervisor="root"}`:                1,
			`arbor_failures_total{kind="error",supervisor="root"}`:             1,
			`arbor_supervisor_running{supervisor="root/db"}`:                   0,
			`arbor_supervisor_running{supervisor="root/db/cache"}`:             0,
			`arbor_starts_total{supervisor="root/db"}`:                         2, // the last values read
			`arbor_starts_total{supervisor="root/db/cache"}`:                   1,
			`arbor_escalations_total{reason="intensity",supervisor="root/db"}`: 0,
			`arbor_tree_ready{supervisor="root"}`:                              0, // a child supervisor is always waited for
		} {
			if got, ok := restarting[key]; !ok || got != want {
				t.Errorf("while restarting: %s = %v (present: %v), want %v", key, got, ok, want)
			}
		}
		for _, key := range []string{
			`arbor_children{state="running",supervisor="root/db"}`,
			`arbor_children{state="running",supervisor="root/db/cache"}`,
		} {
			if _, ok := restarting[key]; ok {
				t.Errorf("while restarting: %s is present", key)
			}
		}

		time.Sleep(time.Minute) // the backoff delay, on the bubble's clock
		synctest.Wait()
		again := values(t, c)
		checkMonotone(t, restarting, again)
		for key, want := range map[string]float64{
			`arbor_supervisor_running{supervisor="root/db"}`:                   1,
			`arbor_starts_total{supervisor="root/db"}`:                         4,
			`arbor_exits_total{class="abnormal",supervisor="root/db"}`:         1,
			`arbor_exits_total{class="shutdown",supervisor="root/db"}`:         1, // cache, stopped by the escalation
			`arbor_escalations_total{reason="intensity",supervisor="root/db"}`: 1,
			`arbor_starts_total{supervisor="root/db/cache"}`:                   2,
			`arbor_restarts_total{supervisor="root"}`:                          1,
		} {
			if got := again[key]; got != want {
				t.Errorf("after the restart: %s = %v, want %v", key, got, want)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A child supervisor replaced by another under the same path between two
// scrapes does not make its counters go down; one removed leaves the
// metrics, and one added again starts from its own totals.
func TestReplacedSupervisor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := mustNew(t, "root")
		c, err := arborprom.NewCollector(root)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		job := func(failures int64) supervisor.Child {
			s := mustNew(t, "job", supervisor.WithChildren(
				supervisor.Child{Name: "w", Actor: failing(failures, erring)}))
			return supervisor.Child{Name: "job", Actor: s}
		}
		if err := root.Add(job(2)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		first := values(t, c)
		if got := first[`arbor_restarts_total{supervisor="root/job"}`]; got != 2 {
			t.Fatalf("restarts of the first job: %v, want 2", got)
		}

		// Replaced between two scrapes: the counts add up.
		if err := root.Remove("job"); err != nil {
			t.Fatal(err)
		}
		if err := root.Add(job(1)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		second := values(t, c)
		checkMonotone(t, first, second)
		for key, want := range map[string]float64{
			`arbor_restarts_total{supervisor="root/job"}`:               3,
			`arbor_starts_total{supervisor="root/job"}`:                 5,
			`arbor_exits_total{class="shutdown",supervisor="root/job"}`: 0,
			`arbor_failures_total{kind="error",supervisor="root/job"}`:  3,
			`arbor_exits_total{class="shutdown",supervisor="root"}`:     1,
			`arbor_exits_total{class="abnormal",supervisor="root/job"}`: 3,
		} {
			if got := second[key]; got != want {
				t.Errorf("after the replacement: %s = %v, want %v", key, got, want)
			}
		}

		// Removed: its series are gone.
		if err := root.Remove("job"); err != nil {
			t.Fatal(err)
		}
		removed := values(t, c)
		for key := range removed {
			if strings.Contains(key, `supervisor="root/job"`) {
				t.Errorf("after Remove: %s is still reported", key)
			}
		}

		// Added again after a scrape without it: its own totals.
		if err := root.Add(job(0)); err != nil {
			t.Fatal(err)
		}
		back := values(t, c)
		if got := back[`arbor_starts_total{supervisor="root/job"}`]; got != 1 {
			t.Errorf("a job added again: starts %v, want 1", got)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// Events dropped by a full subscription and a stalled observer take
// nothing away from the counters.
func TestDroppedEventsDoNotUndercount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		stalled := supervisor.ObserverFunc(func(supervisor.Event) { <-release })
		const failures = 50
		root := mustNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithObserver(stalled),
			supervisor.WithObserverBuffer(1),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: failing(failures, erring)}))
		sub, err := root.Subscribe(1)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		c, err := arborprom.NewCollector(root)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		if sub.Dropped() == 0 {
			t.Fatal("the subscription dropped nothing: the test proves nothing")
		}
		v := values(t, c)
		for key, want := range map[string]float64{
			`arbor_restarts_total{supervisor="root"}`:               failures,
			`arbor_starts_total{supervisor="root"}`:                 failures + 1,
			`arbor_failures_total{kind="error",supervisor="root"}`:  failures,
			`arbor_exits_total{class="abnormal",supervisor="root"}`: failures,
		} {
			if got := v[key]; got != want {
				t.Errorf("%s = %v, want %v (subscription dropped %d)", key, got, want, sub.Dropped())
			}
		}
		close(release)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A child supervisor made afresh by an init hook in each run of its parent
// starts its own counters from zero; its path stays reported while the
// parent restarts, and its counters go on from the old one's. (Here the
// new one counts fewer starts than the old: that is how the collector
// tells them apart. One that has counted as much as the old one by the
// next scrape cannot be told apart, and its counts continue the old ones.)
func TestFreshSupervisorEachRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fail := make(chan struct{})
		pool := failing(1, func(int64) error {
			<-fail
			return errors.New("disk on fire")
		})
		jobFailures := int64(1) // the first job's worker fails once, the next one's never
		db := mustNew(t, "db",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "pool", Actor: pool}),
			supervisor.WithInit(func(ctx context.Context, s *supervisor.Supervisor) error {
				job, err := supervisor.New("job", supervisor.WithChildren(
					supervisor.Child{Name: "w", Actor: failing(jobFailures, erring)}))
				jobFailures = 0
				if err != nil {
					return err
				}
				return s.Add(supervisor.Child{Name: "job", Actor: job})
			}))
		root := mustNew(t, "root", supervisor.WithChildren(supervisor.Child{
			Name: "db", Actor: db, Backoff: &policy.Backoff{Initial: time.Minute},
		}))
		c, err := arborprom.NewCollector(root)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		first := values(t, c)
		close(fail)
		synctest.Wait()
		frozen := values(t, c)
		time.Sleep(time.Minute)
		synctest.Wait()
		second := values(t, c)
		checkMonotone(t, first, frozen)
		checkMonotone(t, frozen, second)
		for key, want := range map[string][3]float64{
			`arbor_starts_total{supervisor="root/db/job"}`:       {2, 2, 3},
			`arbor_restarts_total{supervisor="root/db/job"}`:     {1, 1, 1},
			`arbor_supervisor_running{supervisor="root/db/job"}`: {1, 0, 1},
		} {
			got := [3]float64{first[key], frozen[key], second[key]}
			if got != want {
				t.Errorf("%s: %v (running, restarting, running again), want %v", key, got, want)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
