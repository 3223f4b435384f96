package arborprom_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/arbor-go/arbor/policy"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// The counters count the exits, failures and restarts of each
// supervisor's own children, under its path; the gauges show the live tree.
func TestCollectCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := mustNew(t, "db", supervisor.WithChildren(
			supervisor.Child{Name: "pool", Actor: failing(1, exiting)}))
		root := mustNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "flaky", Actor: failing(2, erring)},
				supervisor.Child{Name: "boom", Actor: failing(1, panicking)},
				supervisor.Child{Name: "db", Actor: db},
			))
		c, err := arborprom.NewCollector(root)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()

		const want = `
# HELP arbor_restarts_total Restarts of children decided by the supervisor, over all its runs: one per child restarted, so a OneForAll or RestForOne group restart adds one for each child it restarts.
# TYPE arbor_restarts_total counter
arbor_restarts_total{supervisor="root"} 3
arbor_restarts_total{supervisor="root/db"} 1
# HELP arbor_starts_total Incarnations of children launched by the supervisor, over all its runs.
# TYPE arbor_starts_total counter
arbor_starts_total{supervisor="root"} 6
arbor_starts_total{supervisor="root/db"} 2
# HELP arbor_exits_total Exits of the supervisor's children by class: normal (returned nil by itself), shutdown (stopped when asked: shutdown, Remove, manual Restart), group (stopped to restart with its group after a sibling failed), abnormal (failed).
# TYPE arbor_exits_total counter
arbor_exits_total{class="abnormal",supervisor="root"} 3
arbor_exits_total{class="abnormal",supervisor="root/db"} 0
arbor_exits_total{class="group",supervisor="root"} 0
arbor_exits_total{class="group",supervisor="root/db"} 0
arbor_exits_total{class="normal",supervisor="root"} 0
arbor_exits_total{class="normal",supervisor="root/db"} 1
arbor_exits_total{class="shutdown",supervisor="root"} 0
arbor_exits_total{class="shutdown",supervisor="root/db"} 0
# HELP arbor_failures_total Failures of the supervisor's children by kind: error (returned an error; includes start timeouts of restarted children), panic, start_timeout, hung (missed its liveness deadline). Kinds overlap: do not sum them; arbor_exits_total{class="abnormal"} is the total.
# TYPE arbor_failures_total counter
arbor_failures_total{kind="error",supervisor="root"} 2
arbor_failures_total{kind="error",supervisor="root/db"} 0
arbor_failures_total{kind="hung",supervisor="root"} 0
arbor_failures_total{kind="hung",supervisor="root/db"} 0
arbor_failures_total{kind="panic",supervisor="root"} 1
arbor_failures_total{kind="panic",supervisor="root/db"} 0
arbor_failures_total{kind="start_timeout",supervisor="root"} 0
arbor_failures_total{kind="start_timeout",supervisor="root/db"} 0
# HELP arbor_supervisor_running 1 while the supervisor runs; 0 while it is not running (its parent is restarting it, or it stopped) and its counters show their last values.
# TYPE arbor_supervisor_running gauge
arbor_supervisor_running{supervisor="root"} 1
arbor_supervisor_running{supervisor="root/db"} 1
# HELP arbor_tree_ready 1 when the tree is ready: running, past its start phase, not shutting down, every WaitReady child running and ready.
# TYPE arbor_tree_ready gauge
arbor_tree_ready{supervisor="root"} 1
# HELP arbor_tree_alive 0 when a child anywhere in the tree is stuck (did not stop within its shutdown timeout and still runs), else 1.
# TYPE arbor_tree_alive gauge
arbor_tree_alive{supervisor="root"} 1
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(want),
			"arbor_restarts_total", "arbor_starts_total", "arbor_exits_total", "arbor_failures_total",
			"arbor_supervisor_running", "arbor_tree_ready", "arbor_tree_alive"); err != nil {
			t.Error(err)
		}
		v := values(t, c)
		for key, want := range map[string]float64{
			`arbor_children{state="running",supervisor="root"}`:    3,
			`arbor_children{state="backoff",supervisor="root"}`:    0,
			`arbor_children{state="running",supervisor="root/db"}`: 1,
		} {
			if v[key] != want {
				t.Errorf("%s = %v, want %v", key, v[key], want)
			}
		}
		if n := testutil.CollectAndCount(c, "arbor_children"); n != 16 {
			t.Errorf("arbor_children has %d series, want 8 states of 2 supervisors", n)
		}

		if err := stop(); err != nil {
			t.Fatal(err)
		}
		// Stopped: the root's counters are read from it directly and
		// count the shutdown; root/db shows the last values read while it
		// ran.
		after := values(t, c)
		checkMonotone(t, v, after)
		for key, want := range map[string]float64{
			`arbor_exits_total{class="shutdown",supervisor="root"}`: 3,
			`arbor_supervisor_running{supervisor="root"}`:           0,
			`arbor_supervisor_running{supervisor="root/db"}`:        0,
			`arbor_restarts_total{supervisor="root/db"}`:            1,
			`arbor_tree_ready{supervisor="root"}`:                   0,
		} {
			if after[key] != want {
				t.Errorf("after stop: %s = %v, want %v", key, after[key], want)
			}
		}
		if _, ok := after[`arbor_children{state="running",supervisor="root"}`]; ok {
			t.Error("a stopped supervisor still reports arbor_children")
		}
	})
}

func TestNewCollectorErrors(t *testing.T) {
	for name, s := range map[string]*supervisor.Supervisor{"nil": nil, "zero": {}} {
		c, err := arborprom.NewCollector(s)
		var ce *supervisor.ConfigError
		if c != nil || !errors.As(err, &ce) || ce.Field != "root" || !errors.Is(err, supervisor.ErrNotConstructed) {
			t.Errorf("%s: NewCollector = %v, %v; want a *ConfigError for root wrapping ErrNotConstructed", name, c, err)
		}
	}
}

// Every metric passes client_golang's linter, with child labels too.
func TestLint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := mustNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker}))
		c, err := arborprom.NewCollector(root, arborprom.WithChildLabels(true))
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, root)
		synctest.Wait()
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
