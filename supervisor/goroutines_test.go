package supervisor_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/goleak"
)

// TestOneGoroutinePerChild measures the goroutines a running tree costs:
// one per child (the child's own) and one per supervisor (its Run), with no
// helper goroutine per child, also while children crash-loop and restart.
func TestOneGoroutinePerChild(t *testing.T) {
	const n = 200
	var started sync.WaitGroup
	started.Add(n)
	var once [n]sync.Once
	children := make([]supervisor.Child, n)
	for i := range children {
		runs := 0
		children[i] = supervisor.Child{Name: "c" + strconv.Itoa(i), Actor: actor.Func(func(ctx context.Context) error {
			runs++
			if runs <= 3 { // restart three times in its own goroutine
				return context.Canceled
			}
			once[i].Do(started.Done)
			<-ctx.Done()
			return nil
		})}
	}
	sup, err := supervisor.New("root", supervisor.WithChildren(children...),
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}))
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t) // goroutines of earlier tests have ended
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	started.Wait()
	during := runtime.NumGoroutine()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := during-before, n+1; got != want {
		t.Fatalf("goroutines while running = %d, want %d (one per child plus Run)", got, want)
	}
	t.Logf("%d children: %d goroutines (%.2f per child, Run included)", n, during-before, float64(during-before)/n)
}
