package actor_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/arbor-go/arbor/actor"
)

func TestBeatCallsTheWatcherOfItsContextAndDerivedContexts(t *testing.T) {
	var n atomic.Int32
	ctx := actor.WithBeat(context.Background(), func() { n.Add(1) })
	actor.Beat(ctx)
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	actor.Beat(derived)
	if got := n.Load(); got != 2 {
		t.Fatalf("beats seen = %d, want 2", got)
	}
	if !actor.Watched(derived) {
		t.Fatal("Watched(derived) = false, want true")
	}
}

func TestBeatIsANoOpWithoutAWatcherOrWhenHidden(t *testing.T) {
	var nilCtx context.Context
	actor.Beat(nilCtx) // a nil context must not panic
	actor.Beat(context.Background())
	var n atomic.Int32
	hidden := actor.WithBeat(actor.WithBeat(context.Background(), func() { n.Add(1) }), nil)
	actor.Beat(hidden)
	if n.Load() != 0 {
		t.Fatal("a hidden watcher was called")
	}
	if actor.Watched(hidden) || actor.Watched(context.Background()) || actor.Watched(nilCtx) {
		t.Fatal("Watched reports a watcher where there is none")
	}
}

func TestBeatAllocatesNothing(t *testing.T) {
	var n atomic.Int64
	ctx, cancel := context.WithCancel(actor.WithBeat(context.Background(), func() { n.Add(1) }))
	defer cancel()
	if allocs := testing.AllocsPerRun(1000, func() { actor.Beat(ctx) }); allocs != 0 {
		t.Fatalf("Beat allocates %.1f times per call, want 0", allocs)
	}
}

// BenchmarkBeat measures a beat through a context shaped like an
// incarnation's (a cancellable context over the beat's value), to an atomic
// store, as a supervisor's watcher does.
func BenchmarkBeat(b *testing.B) {
	var last atomic.Int64
	ctx, cancel := context.WithCancel(actor.WithBeat(context.Background(), func() { last.Store(1) }))
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		actor.Beat(ctx)
	}
}
