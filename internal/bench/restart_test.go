package bench

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbor-go/arbor/supervisor"
)

// benchRestarts runs n children that fail at once on every run, for
// b.N restarts in all, and reports ns per restart (ns/op) and restarts/s.
// Every child's first run waits at a gate until all n children run, so
// that only restarts are timed; the run after the b.N-th restart, and every
// later one, blocks until cancelled.
func benchRestarts(b *testing.B, n int, start impl) {
	base := runtime.NumGoroutine()
	var (
		running sync.WaitGroup
		open    atomic.Bool
		total   atomic.Int64
		once    sync.Once
	)
	gate, reached := make(chan struct{}), make(chan struct{})
	target := int64(b.N)
	w := func(ctx context.Context, _ int) error {
		if !open.Load() {
			running.Done()
			<-gate
		}
		if total.Add(1) > target {
			once.Do(func() { close(reached) })
			<-ctx.Done()
			return nil
		}
		return errFail
	}
	running.Add(n)
	ctx, cancel := context.WithCancel(context.Background())
	wait := start(ctx, n, w)
	running.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	open.Store(true)
	close(gate)
	<-reached
	elapsed := time.Since(t0)
	b.StopTimer()
	cancel()
	wait()
	settle(b, base)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "restarts/s")
}

// BenchmarkRestart measures restarting one child that fails at once on
// every run, without logging; ns/op is per restart.
func BenchmarkRestart(b *testing.B) {
	for _, im := range []struct {
		name  string
		start impl
	}{
		{"central", startCentral},
		{"suture", startSuture(nil)},
		{"ours", startOurs(unlimited)},
	} {
		b.Run("impl="+im.name, func(b *testing.B) { benchRestarts(b, 1, im.start) })
	}
}

// BenchmarkRestartLogged is BenchmarkRestart with a production zap logger
// (JSON to io.Discard, Info level): suture logs through its EventHook,
// ours through WithLogger, first with its default per-child rate limit of
// failure entries, then without a limit; ours-slog logs through WithSlog
// to a slog JSON handler (io.Discard, Info level), with the default limit.
func BenchmarkRestartLogged(b *testing.B) {
	for _, im := range []struct {
		name  string
		start impl
	}{
		{"suture", startSuture(zapHook(discardLogger()))},
		{"ours", startOurs(unlimited, supervisor.WithLogger(discardLogger()))},
		{"ours-unlimited", startOurs(unlimited, supervisor.WithLogger(discardLogger()), supervisor.WithLogRateLimit(0, 0))},
		{"ours-slog", startOurs(unlimited, supervisor.WithSlog(discardSlog()))},
	} {
		b.Run("impl="+im.name, func(b *testing.B) { benchRestarts(b, 1, im.start) })
	}
}

// stormChildren is the number of children failing at once in
// BenchmarkRestartStorm.
const stormChildren = 1000

// BenchmarkRestartStorm measures 1000 children failing at once on every
// run, for b.N restarts in all; ns/op is per restart, restarts/s the
// throughput.
func BenchmarkRestartStorm(b *testing.B) {
	for _, im := range []struct {
		name  string
		start impl
	}{
		{"central", startCentral},
		{"suture", startSuture(nil)},
		{"ours", startOurs(unlimited)},
	} {
		b.Run("impl="+im.name, func(b *testing.B) { benchRestarts(b, stormChildren, im.start) })
	}
}
