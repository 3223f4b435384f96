package main

import (
	"context"
	"time"

	"github.com/arbor-go/arbor/actor"
)

// indexerLiveness is the indexer's liveness deadline: it must beat at
// least this often, or its supervisor takes it for hung and restarts it.
const indexerLiveness = time.Second

// indexer returns a worker that proves it is alive by beating once per
// unit of work (actor.Beat), as a long-running loop would. With
// probability hang per tick it hangs instead: it waits on a channel nobody
// sends on, as a worker blocked on a lock or a read without a deadline
// would. It still heeds its context, so once its supervisor has found it
// hung (1s after its last beat) and cancelled it, it returns, and is
// restarted; the log shows the hang with the goroutine's stack, the frame
// of waitForever included.
func indexer(hang float64) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			actor.Beat(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if chance(hang) {
				waitForever(ctx)
				return ctx.Err()
			}
		}
	})
}

// waitForever blocks on a channel nobody sends on, until ctx is done.
//
//go:noinline
func waitForever(ctx context.Context) {
	never := make(chan struct{})
	select {
	case <-never:
	case <-ctx.Done():
	}
}
