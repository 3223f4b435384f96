package supervisor_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A tree run inside a worker's incarnation is that worker's own business:
// as its children's actor.Ready does not count as the worker's readiness,
// their actor.Beat does not count as the worker's beat. A worker stuck in
// its own code is found hung at its deadline even though a child of the
// tree it runs beats unconditionally (as the actor package allows: "a
// no-op when nobody watches"), and for that child nobody watches.
func TestBeatsOfATreeRunInsideAWorkerDoNotCountAsTheWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		var watched atomic.Bool
		lib := actor.Func(func(ctx context.Context) error {
			watched.Store(actor.Watched(ctx))
			for supervisortest.Sleep(ctx, 100*time.Millisecond) {
				actor.Beat(ctx) // a library actor that beats unconditionally
			}
			return nil
		})
		never := make(chan struct{})
		w := actor.Func(func(ctx context.Context) error {
			inner, err := supervisor.New("inner", supervisor.WithChildren(supervisor.Child{Name: "lib", Actor: lib}))
			if err != nil {
				return err
			}
			done := make(chan error, 1)
			go func() { done <- inner.Run(ctx) }()
			blockOnChannel(ctx, never) // the worker's own code is stuck
			return <-done
		})
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		if watched.Load() {
			t.Error("actor.Watched is true for a child without a Liveness, in a tree run inside a watched worker")
		}
		hung := rec.Kinds(supervisor.EventHung)
		if len(hung) == 0 || hung[0] != "hung root/w" {
			t.Fatalf("events %v: want root/w hung at 1s (the inner tree's beats are not its own)", rec.Kinds())
		}
		if c := sup.Counters(); c.Hangs != 1 {
			t.Errorf("Counters = %+v after %v, want one hang", c, time.Since(t0))
		}
		_ = run.Stop()
	})
}
