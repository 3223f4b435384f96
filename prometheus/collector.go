package arborprom

import (
	"fmt"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/arbor-go/arbor/supervisor"
)

// Collector is a prometheus.Collector for a supervision tree. Each Collect
// takes a snapshot of the live tree (Supervisor.Snapshot) and reports
// every supervisor in it. Make one with NewCollector and register it; it
// needs no observer and changes nothing in the tree, so it can be attached
// to a tree that is already running.
//
// Collect is safe for concurrent use: concurrent scrapes are served one
// after the other.
type Collector struct {
	root        *supervisor.Supervisor // immutable
	childLabels bool                   // immutable

	mu sync.Mutex // serializes Collect, so that memory sees snapshots in the order they are taken
	// memory holds, by supervisor path, the last counters seen of each
	// supervisor in the tree. Guarded by mu.
	memory map[string]*memory
}

// Option configures a Collector in NewCollector.
type Option func(*Collector)

// WithChildLabels adds gauges for each child, with a child label:
// arbor_child_state, arbor_child_restarts and arbor_child_ready.
//
// Mind the cardinality: each child adds up to three series, and each
// supervisor path adds its own. A child added with Supervisor.Add makes new
// series under its name; once it is removed its series are no longer
// reported. A tree whose supervisors add children under ever new names (one
// per connection, per job) makes series without bound over time: leave
// this option off for such trees, or keep their names to a fixed set (such
// as pool-0 to pool-15).
func WithChildLabels(on bool) Option {
	return func(c *Collector) { c.childLabels = on }
}

// NewCollector returns a Collector for the tree of root, which may be
// running or not, and may be a subtree of a larger tree (its metrics are
// labelled with full paths). It returns a *supervisor.ConfigError if root is
// nil or was not made by supervisor.New.
func NewCollector(root *supervisor.Supervisor, opts ...Option) (*Collector, error) {
	if root == nil || root.Name() == "" {
		value := "a zero Supervisor"
		if root == nil {
			value = "nil"
		}
		return nil, &supervisor.ConfigError{
			Field: "root", Value: value, Reason: "must be a *Supervisor made by supervisor.New",
			Err: supervisor.ErrNotConstructed,
		}
	}
	c := &Collector{root: root, memory: make(map[string]*memory)}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c, nil
}

// Describe sends the descriptors of every metric the Collector reports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for i := range counterDescs {
		ch <- counterDescs[i].desc
	}
	for _, d := range []*prometheus.Desc{descRunning, descChildren, descTreeReady, descTreeAlive, descTreeStuck} {
		ch <- d
	}
	if c.childLabels {
		ch <- descChildState
		ch <- descChildRestarts
		ch <- descChildReady
	}
}

// Collect takes a snapshot of the tree and sends its metrics: the counters
// of every supervisor in it, the gauges of the running ones, and the
// readiness and liveness of the whole tree.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.root.Snapshot()
	running := snap.Counters != nil
	if !running {
		// The top supervisor is not running: its counters are still
		// there, and still right.
		counts := c.root.Counters()
		snap.Counters = &counts
	}
	seen := make(map[string]bool)
	c.collectLocked(ch, &snap, running, seen)
	// Forget the supervisors that are no longer in the tree.
	for path := range c.memory {
		if !seen[path] {
			delete(c.memory, path)
		}
	}

	h := c.root.Health()
	top := snap.Path
	send(ch, descTreeReady, prometheus.GaugeValue, boolValue(h.Ready), top)
	send(ch, descTreeAlive, prometheus.GaugeValue, boolValue(h.Alive), top)
	send(ch, descTreeStuck, prometheus.GaugeValue, float64(len(h.Stuck)), top)
}

// collectLocked sends the metrics of the supervisor node n and of its
// subtree, and adds the paths of the supervisors it reported to seen.
// running is false for a supervisor that is not running: then n.Counters,
// if set, are its current totals, and the supervisors below it report the
// last totals remembered of them.
func (c *Collector) collectLocked(ch chan<- prometheus.Metric, n *supervisor.Snapshot, running bool, seen map[string]bool) {
	seen[n.Path] = true
	if n.Counters != nil {
		m := c.memory[n.Path]
		if m == nil {
			m = &memory{}
			c.memory[n.Path] = m
		}
		m.observe(totalsOf(*n.Counters))
	}
	if m := c.memory[n.Path]; m != nil {
		sendCounters(ch, n.Path, m.total())
	}
	send(ch, descRunning, prometheus.GaugeValue, boolValue(running), n.Path)
	if !running {
		prefix := n.Path + supervisor.PathSeparator
		for path, m := range c.memory {
			if strings.HasPrefix(path, prefix) {
				seen[path] = true
				sendCounters(ch, path, m.total())
				send(ch, descRunning, prometheus.GaugeValue, 0, path)
			}
		}
		return
	}

	byState := make(map[supervisor.State]int, len(states))
	for i := range n.Children {
		k := &n.Children[i]
		byState[k.State]++
		if c.childLabels {
			send(ch, descChildState, prometheus.GaugeValue, 1, n.Path, k.Name, k.State.String())
			send(ch, descChildRestarts, prometheus.GaugeValue, float64(k.Restarts), n.Path, k.Name)
			send(ch, descChildReady, prometheus.GaugeValue, boolValue(k.Ready), n.Path, k.Name)
		}
		if k.Kind == supervisor.KindSupervisor {
			c.collectLocked(ch, k, k.Counters != nil, seen)
		}
	}
	for _, s := range states {
		send(ch, descChildren, prometheus.GaugeValue, float64(byState[s]), n.Path, s.String())
	}
}

// sendCounters sends the counter metrics of the supervisor at path.
func sendCounters(ch chan<- prometheus.Metric, path string, t totals) {
	for i := range counterDescs {
		d := &counterDescs[i]
		if d.field >= 0 {
			send(ch, d.desc, prometheus.CounterValue, float64(t[d.field]), path)
			continue
		}
		for _, l := range d.by {
			send(ch, d.desc, prometheus.CounterValue, float64(t[l.field]), path, l.value)
		}
	}
}

// send sends one metric, or an invalid metric that tells why it could not
// be made (for example a path that is not valid UTF-8), never a panic.
func send(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, fmt.Errorf("arborprom: %w", err))
	}
	ch <- m
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
