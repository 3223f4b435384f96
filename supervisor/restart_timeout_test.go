package supervisor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// TestStartTimeoutOnRestartInPlace checks that the start timeout also bounds
// an incarnation restarted in the child's own goroutine, where no starter
// waits: past it, the incarnation is cancelled with cause ErrStartTimeout,
// its exit is a failure with that error, and it is restarted (counted).
func TestStartTimeoutOnRestartInPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var causes []error
		var stoppedAt []time.Duration
		start := time.Now()
		runs := 0
		a := actor.Func(func(ctx context.Context) error {
			mu.Lock()
			runs++
			n := runs
			mu.Unlock()
			switch n {
			case 1: // ready, then fails: restarted in place
				actor.Ready(ctx)
				return errors.New("boom")
			case 2: // never ready
				<-ctx.Done()
				mu.Lock()
				causes = append(causes, context.Cause(ctx))
				stoppedAt = append(stoppedAt, time.Since(start))
				mu.Unlock()
				return nil // returning nil does not make it a normal exit
			default:
				actor.Ready(ctx)
				<-ctx.Done()
				return nil
			}
		})
		var failed []error
		sup, err := supervisor.New("root",
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: a, WaitReady: true, StartTimeout: 2 * time.Second}),
			supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
				if e.Kind == supervisor.EventFailed {
					mu.Lock()
					failed = append(failed, e.Err)
					mu.Unlock()
				}
			})))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		info := sup.Children()[0]
		if info.Restarts != 2 || info.Incarnation != 3 || !info.Ready {
			t.Fatalf("child = %+v, want incarnation 3, 2 restarts, ready", info)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(causes) != 1 || !errors.Is(causes[0], supervisor.ErrStartTimeout) || stoppedAt[0] != 2*time.Second {
			t.Fatalf("second incarnation cancelled with %v at %v, want ErrStartTimeout at 2s", causes, stoppedAt)
		}
		if len(failed) != 2 || !errors.Is(failed[1], supervisor.ErrStartTimeout) {
			t.Fatalf("failures = %v, want boom then ErrStartTimeout", failed)
		}
	})
}
