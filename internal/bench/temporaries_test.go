package bench

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// BenchmarkEndTemporaries measures a supervisor dropping N temporary
// children that end together. ns/op is a whole round (start the N, release
// them, wait until the last removal is observed, stop); drop-ns/child is
// only the part from the release to the last removal, per child. It stays
// the same from N=2,500 to N=10,000 when dropping a child
// costs the same whatever the number of its siblings (a removal that
// scanned or copied them would make it grow fourfold). This is where that
// cost is timed: supervisor's TestDroppingTemporariesAllocatesNothing
// counts only what it allocates, since a unit test must not time anything.
func BenchmarkEndTemporaries(b *testing.B) {
	for _, n := range []int{2_500, 10_000} {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			var total float64
			for range b.N {
				total += endTemporaries(b, n)
			}
			b.ReportMetric(total/float64(b.N*n), "drop-ns/child")
		})
	}
}

// endTemporaries runs one supervisor of n temporaries, releases them
// together, and returns the nanoseconds until the last one was removed.
func endTemporaries(b *testing.B, n int) float64 {
	var running sync.WaitGroup
	running.Add(n)
	release := make(chan struct{})
	w := actor.Func(func(ctx context.Context) error {
		running.Done()
		<-release
		return nil
	})
	var removed atomic.Int64
	gone := make(chan struct{})
	obs := supervisor.ObserverFunc(func(e supervisor.Event) {
		if e.Kind == supervisor.EventRemoved && removed.Add(1) == int64(n) {
			close(gone)
		}
	})
	specs := make([]supervisor.Child, n)
	for i := range specs {
		specs[i] = supervisor.Child{Name: "t" + strconv.Itoa(i), Restart: policy.Temporary, Actor: w}
	}
	sup, err := supervisor.New("root", supervisor.WithChildren(specs...), supervisor.WithObserver(obs),
		supervisor.WithObserverBuffer(4*n+16))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	running.Wait()
	t0 := time.Now()
	close(release)
	<-gone
	d := time.Since(t0)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return float64(d.Nanoseconds())
}
