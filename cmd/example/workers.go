package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// tick is how often the workers do a unit of work and roll the dice.
const tick = 200 * time.Millisecond

// errChaos is the error of a simulated failure.
var errChaos = errors.New("chaos: simulated failure")

// errCrashLoop is the error of the leaf that fails on every start.
var errCrashLoop = errors.New("crash loop: fails on every start")

// chance reports true with probability p.
func chance(p float64) bool { return p > 0 && rand.Float64() < p }

// worker returns a pool worker: every tick it does a unit of work, and with
// probability chaos it fails instead. With crash set it fails at once, on
// every start.
func worker(chaos float64, crash bool) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		if crash {
			return errCrashLoop
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		for jobs := 0; ; jobs++ {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if chance(chaos) {
				return fmt.Errorf("after %d jobs: %w", jobs, errChaos)
			}
		}
	})
}

// flaky returns a worker that fails at random, like a client of an unstable
// service. Its supervisor restarts it under backoff (see tree.go), so the
// log shows the delays growing while it keeps failing and falling back once
// it has stayed up for a while.
func flaky(chaos float64) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		log := supervisor.Logger(ctx)
		log.Debug("connecting to the flaky service")
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if chance(chaos) {
				return fmt.Errorf("flaky service: %w", errChaos)
			}
		}
	})
}

// item is what the producer hands the consumer: a sequence number that the
// two of them agree on.
type item struct{ seq int }

// producer returns the producer half of the pipeline: it sends items
// numbered from 1, one per tick, on the channel the pipeline shares.
func producer(chaos float64) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		ch := supervisor.Shared(ctx).(chan item)
		t := time.NewTicker(tick)
		defer t.Stop()
		for seq := 1; ; seq++ {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if chance(chaos) {
				return fmt.Errorf("producer at item %d: %w", seq, errChaos)
			}
			select {
			case <-ctx.Done():
				return nil
			case ch <- item{seq: seq}:
			}
		}
	})
}

// consumer returns the consumer half of the pipeline: it expects the items
// in sequence from 1, and fails if the sequence breaks. It never breaks,
// because the pair is restarted together (see tree.go).
func consumer(chaos float64) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		ch := supervisor.Shared(ctx).(chan item)
		log := supervisor.Logger(ctx)
		for want := 1; ; want++ {
			var it item
			select {
			case <-ctx.Done():
				return nil
			case it = <-ch:
			}
			if it.seq != want {
				return fmt.Errorf("consumer: got item %d, want %d", it.seq, want)
			}
			if chance(chaos) {
				return fmt.Errorf("consumer at item %d: %w", it.seq, errChaos)
			}
			if it.seq%50 == 0 {
				log.Info("consumed", zap.Int("items", it.seq))
			}
		}
	})
}
