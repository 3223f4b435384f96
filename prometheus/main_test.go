package arborprom_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// TestMain checks that no test of the package leaks a goroutine.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs sup in a goroutine and returns a function that stops it and
// returns what Run returned.
func start(t *testing.T, sup *supervisor.Supervisor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// mustNew is supervisortest.New: supervisor.New that fails the test on an
// error.
func mustNew(t *testing.T, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	return supervisortest.New(t, name, opts...)
}

// blocker runs until it is stopped.
var blocker = testutil.Blocker

// failing returns an actor whose first n incarnations fail by calling
// fail, and whose later ones run until they are stopped.
func failing(n int64, fail func(int64) error) actor.Actor {
	var runs atomic.Int64
	return actor.Func(func(ctx context.Context) error {
		if k := runs.Add(1); k <= n {
			return fail(k)
		}
		<-ctx.Done()
		return nil
	})
}

// erring fails with an error.
func erring(k int64) error { return fmt.Errorf("attempt %d: refused", k) }

// panicking fails with a panic.
func panicking(k int64) error { panic(fmt.Sprintf("attempt %d", k)) }

// exiting returns nil: a normal exit.
func exiting(int64) error { return nil }

// values collects c once and returns every sample, keyed by the metric's
// name and its labels in the text format's order, as
// `arbor_exits_total{class="abnormal",supervisor="root"}`.
func values(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[sampleKey(f.GetName(), m)] = sampleValue(m)
		}
	}
	return out
}

// sampleKey returns the name and the labels of m, in the text format's
// order, as `arbor_exits_total{class="abnormal",supervisor="root"}`.
func sampleKey(name string, m *dto.Metric) string {
	var labels []string
	for _, l := range m.GetLabel() {
		labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	slices.Sort(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

// sampleValue returns the value of a counter or a gauge.
func sampleValue(m *dto.Metric) float64 {
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// checkMonotone fails the test if a counter present in both before and
// after went down.
func checkMonotone(t *testing.T, before, after map[string]float64) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.Contains(k, "_total{") {
			continue
		}
		if v, ok := after[k]; ok && v < before[k] {
			t.Errorf("%s went down: %v, then %v", k, before[k], v)
		}
	}
}
