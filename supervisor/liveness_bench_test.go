package supervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// BenchmarkBeat measures actor.Beat as a supervised child calls it: with
// its incarnation's own context, which carries the beat of a child with a
// Liveness (a clock read and an atomic store into a word of the
// incarnation's own), and, "derived", with a context the child derived from
// it. It reports allocations: there are none.
func BenchmarkBeat(b *testing.B) {
	for _, derived := range []bool{false, true} {
		name := "incarnation"
		if derived {
			name = "derived"
		}
		b.Run(name, func(b *testing.B) {
			measured := make(chan struct{})
			w := actor.Func(func(ctx context.Context) error {
				if derived {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					defer cancel()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					actor.Beat(ctx)
				}
				b.StopTimer()
				close(measured)
				<-ctx.Done()
				return nil
			})
			sup, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w,
				Liveness: &supervisor.Liveness{Timeout: time.Hour}}))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sup.Run(ctx) }()
			<-measured
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
