package bench

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// depthLevels is how many levels of supervisors one iteration of
// BenchmarkDepth runs in all: chains of D levels are run
// depthLevels/D at a time, so that every depth measures the same number
// of levels, and a small depth's figures are not one chain's noise.
const depthLevels = 10_000

// chain returns the root of a chain of depth supervisors, each named "s"
// and the only child of the one above, the bottom one supervising one
// worker named "w" that waits for its context. It also returns the sum of
// the lengths of the paths the chain keeps (each level's, and the
// worker's): the bytes of the path strings that the supervisor promises
// (a child's pprof label, Event.Path, Snapshot), one string a level.
func chain(depth int) (*supervisor.Supervisor, int) {
	leaf := supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})}
	var sup *supervisor.Supervisor
	for range depth {
		s, err := supervisor.New("s", supervisor.WithChildren(leaf))
		if err != nil {
			panic(err)
		}
		sup, leaf = s, supervisor.Child{Name: "s", Actor: s}
	}
	// Level i's path is i segments of one byte: 2i-1 bytes; the worker's
	// 2*depth+1.
	return sup, depth*depth + 2*depth + 1
}

// BenchmarkDepth measures what a level of nesting costs, for chains of
// supervisors D levels deep (see chain). Each iteration starts
// depthLevels/D chains one after another, each until its root is ready,
// measures the memory in use with all of them ready, then stops them one
// after another. It reports:
//
//   - B/level: growth of HeapInuse+StackInuse (after runtime.GC) from
//     before the chains were built to when all of them are ready, divided
//     by the levels;
//   - path-B/level: the bytes of the path strings (one per level, see
//     chain) in that growth, divided by the levels: what the promised
//     copies of the paths cost, which grows with the depth by design;
//   - ns/level-ready: from calling the root's Run to the root being ready
//     (the whole chain, since a parent waits for its child supervisor's
//     readiness), divided by the depth;
//   - ns/level-stop: from cancelling the root's context to its Run having
//     returned, divided by the depth;
//   - cpu-ns/level-ready and cpu-ns/level-stop: the process's CPU time
//     (user and system, all its threads) over the same spans, where the
//     system tells it: on a machine busy with other work, the wall-clock
//     times of a long chain include the time the process waited for a
//     core, which a short chain's often escape.
//
// A level's cost must not grow with the depth beyond its path string:
// B/level at D=10000 at most 1.2 times that at D=10 plus path-B/level, and
// ns/level at most 1.5 times.
func BenchmarkDepth(b *testing.B) {
	for _, depth := range []int{10, 1_000, 10_000} {
		b.Run("D="+strconv.Itoa(depth), func(b *testing.B) {
			warmGoroutines()
			b.ResetTimer()
			rounds := max(1, depthLevels/depth)
			levels := float64(rounds * depth)
			type running struct {
				cancel context.CancelFunc
				done   chan error
			}
			var bytes, pathBytes, ready, stop, readyCPU, stopCPU float64
			for range b.N {
				base := runtime.NumGoroutine()
				before := inUse()
				roots := make([]*supervisor.Supervisor, rounds)
				paths := 0
				for i := range roots {
					var n int
					roots[i], n = chain(depth)
					paths += n
				}
				chains := make([]running, rounds)
				for i, root := range roots {
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan error, 1)
					t, c := time.Now(), cpuTime()
					go func() { done <- root.Run(ctx) }()
					if err := root.WaitReady(context.Background()); err != nil {
						b.Fatal(err)
					}
					ready += float64(time.Since(t))
					readyCPU += float64(cpuTime() - c)
					chains[i] = running{cancel, done}
				}
				after := inUse()
				bytes += float64(int64(after) - int64(before))
				pathBytes += float64(paths)
				for _, ch := range chains {
					t, c := time.Now(), cpuTime()
					ch.cancel()
					if err := <-ch.done; err != nil {
						b.Fatal(err)
					}
					stop += float64(time.Since(t))
					stopCPU += float64(cpuTime() - c)
				}
				settle(b, base)
			}
			n := float64(b.N) * levels
			b.ReportMetric(bytes/n, "B/level")
			b.ReportMetric(pathBytes/n, "path-B/level")
			b.ReportMetric(ready/n, "ns/level-ready")
			b.ReportMetric(stop/n, "ns/level-stop")
			if cpuTime() >= 0 {
				b.ReportMetric(readyCPU/n, "cpu-ns/level-ready")
				b.ReportMetric(stopCPU/n, "cpu-ns/level-stop")
			}
		})
	}
}
