package bench

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/arbor-go/arbor/supervisor"
)

// flatImpls are the implementations compared by BenchmarkStart and
// BenchmarkIdleMemory, in column order.
var flatImpls = []struct {
	name  string
	start impl
}{
	{"raw", startRaw},
	{"raw-ctx", startRawCtx},
	{"errgroup", startErrgroup},
	{"oklog", startOklog},
	{"suture", startSuture(nil)},
	{"ours", startOurs()},
	{"ours-concurrent", startOurs(supervisor.WithConcurrentShutdown(true))},
}

// BenchmarkStart measures starting N children that block until cancelled,
// waiting until all of them run, cancelling, and waiting until all of them
// returned. It includes building the supervisor.
func BenchmarkStart(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			for _, im := range flatImpls {
				b.Run("impl="+im.name, func(b *testing.B) {
					base := runtime.NumGoroutine()
					var running sync.WaitGroup
					w := func(ctx context.Context, _ int) error {
						running.Done()
						<-ctx.Done()
						return nil
					}
					b.ReportAllocs()
					for b.Loop() {
						running.Add(n)
						ctx, cancel := context.WithCancel(context.Background())
						wait := im.start(ctx, n, w)
						running.Wait()
						cancel()
						wait()
					}
					settle(b, base)
				})
			}
		})
	}
}
