package bench

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// idleChildren is the number of children of BenchmarkIdleMemory.
const idleChildren = 100_000

// inUse returns the heap and stack memory in use after a full collection.
func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// warmGoroutines makes the runtime keep enough dead goroutine records for
// every implementation: the runtime never frees the record of a goroutine
// that returned but reuses it, so without this the first implementation
// measured would pay for records that the later ones get for free.
var warmGoroutines = sync.OnceFunc(func() {
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Add(2 * idleChildren)
	for range 2 * idleChildren {
		go func() {
			defer wg.Done()
			<-release
		}()
	}
	close(release)
	wg.Wait()
})

// BenchmarkIdleMemory measures the memory that 100,000 idle children
// (blocked on their context) keep in use: B/child is the growth of
// HeapInuse+StackInuse from before starting them to when all of them run,
// divided by their number. Goroutine records are warmed up first (see
// warmGoroutines), so B/child counts stacks and heap objects. ns/op is the time of one whole round (start,
// two collections, stop).
func BenchmarkIdleMemory(b *testing.B) {
	for _, im := range flatImpls {
		b.Run("impl="+im.name, func(b *testing.B) {
			warmGoroutines()
			b.ResetTimer()
			base := runtime.NumGoroutine()
			var running sync.WaitGroup
			w := func(ctx context.Context, _ int) error {
				running.Done()
				<-ctx.Done()
				return nil
			}
			var sum float64
			for range b.N {
				before := inUse()
				running.Add(idleChildren)
				ctx, cancel := context.WithCancel(context.Background())
				wait := im.start(ctx, idleChildren, w)
				running.Wait()
				after := inUse()
				cancel()
				wait()
				settle(b, base)
				sum += float64(int64(after)-int64(before)) / idleChildren
			}
			b.ReportMetric(sum/float64(b.N), "B/child")
		})
	}
}
