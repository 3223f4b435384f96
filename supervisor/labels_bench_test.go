package supervisor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// BenchmarkRestartPath measures one restart of a crash-looping child: the
// child fails at once, b.N times, with no intensity limit, no backoff, no
// logger and no observer. Under OneForOne the restart happens in the child's
// own goroutine; under OneForAll it goes through the supervisor's loop and
// starts a new goroutine (which sets its pprof labels) every time.
func BenchmarkRestartPath(b *testing.B) {
	for _, st := range []policy.Strategy{policy.OneForOne, policy.OneForAll} {
		b.Run(st.String(), func(b *testing.B) {
			var runs atomic.Int64
			restarts := int64(b.N)
			reached := make(chan struct{})
			crash := errors.New("crash")
			sup, err := supervisor.New("root", supervisor.WithStrategy(st),
				supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
				supervisor.WithChildren(supervisor.Child{Name: "crash", Actor: actor.Func(func(ctx context.Context) error {
					if runs.Add(1) <= restarts {
						return crash
					}
					close(reached)
					<-ctx.Done()
					return nil
				})}))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ReportAllocs()
			b.ResetTimer()
			go func() { done <- sup.Run(ctx) }()
			<-reached
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
