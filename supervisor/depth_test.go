package supervisor_test

import (
	"bytes"
	"context"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// countingCtx counts the Value lookups that reach it.
type countingCtx struct {
	context.Context
	n *atomic.Int64
}

func (c countingCtx) Value(key any) any {
	c.n.Add(1)
	return c.Context.Value(key)
}

type depthKey struct{}

// chainOpts changes the chains of runChainsWith.
type chainOpts struct {
	setup func(root *supervisor.Supervisor) // called with each root before it runs
	wrap  bool                              // each supervisor below the root wrapped in an actor.Func (KindSupervisor)
}

// runChainsWith runs count chains of depth supervisors named "s", each the
// only child of the one above (given directly as its Actor, unless
// opts.wrap), the bottom one supervising a worker "w" that calls probe with
// its context, then waits for it. It calls ready once every root is ready,
// then stops the chains.
func runChainsWith(t testing.TB, ctx context.Context, depth, count int, opts chainOpts, probe func(ctx context.Context), ready func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, count)
	for range count {
		leaf := supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
			if probe != nil {
				probe(ctx)
			}
			<-ctx.Done()
			return nil
		})}
		var root *supervisor.Supervisor
		for range depth {
			s, err := supervisor.New("s", supervisor.WithChildren(leaf))
			if err != nil {
				t.Fatal(err)
			}
			root, leaf = s, supervisor.Child{Name: "s", Actor: s}
			if opts.wrap {
				leaf.Kind = supervisor.KindSupervisor
				leaf.Actor = actor.Func(func(ctx context.Context) error { return s.Run(ctx) })
			}
		}
		if opts.setup != nil {
			opts.setup(root)
		}
		go func() { done <- root.Run(ctx) }()
		if err := root.WaitReady(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ready()
	cancel()
	for range count {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// A nested supervisor given its parent's incarnation context (directly, or
// through an actor that wraps it) does not look its values up through every
// level above it: starting a chain makes as many lookups reach the root's
// context at depth 100 as at depth 10 (each
// such lookup is a walk through the whole chain), while the chain's values
// and pprof labels still reach its bottom.
func TestNestedRunsDoNotWalkUpToTheRootContext(t *testing.T) {
	lookups := func(depth int, wrap bool) int64 {
		var n atomic.Int64
		base := pprof.WithLabels(context.WithValue(context.Background(), depthKey{}, "root value"), pprof.Labels("tenant", "t1"))
		var atReady int64
		leaf := make(chan context.Context, 1)
		runChainsWith(t, countingCtx{base, &n}, depth, 1, chainOpts{wrap: wrap}, func(ctx context.Context) { leaf <- ctx }, func() {
			atReady = n.Load()
			ctx := <-leaf
			if ctx.Value(depthKey{}) != "root value" {
				t.Errorf("depth %d: the worker's context lacks the root's value", depth)
			}
			sawLabel := false
			pprof.ForLabels(ctx, func(k, v string) bool {
				sawLabel = sawLabel || k == "tenant" && v == "t1"
				return true
			})
			if !sawLabel {
				t.Errorf("depth %d: the worker's context lacks the root's pprof label", depth)
			}
			// The worker's goroutine carries the root's labels and its path.
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			want := `"supervisor.path":"` + strings.Repeat("s/", depth) + `w"`
			if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), `"tenant":"t1"`) {
				t.Errorf("depth %d: the worker's goroutine lacks the root's label or its path %s", depth, want)
			}
		})
		return atReady
	}
	for _, wrap := range []bool{false, true} {
		shallow, deep := lookups(10, wrap), lookups(100, wrap)
		if deep != shallow {
			t.Errorf("lookups reaching the root's context while a chain starts (supervisors wrapped in an actor: %v): %d at depth 10, %d at depth 100; want the same", wrap, shallow, deep)
		}
	}
}

// inUseBytes returns the heap and stack memory in use after a collection.
func inUseBytes() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// A level of a chain of supervisors costs the same bytes at any depth, its
// path included (the paths of a chain share their bytes): counted as the
// growth of heap and stacks in use (after a collection) while the chains
// are ready, per level, for ten chains 40 deep and one 400 deep (as many
// levels, goroutines and supervisors in all); for supervisors given
// directly as their parent's child, and wrapped in an actor.
func TestDeepChainKeepsTheSameBytesPerLevel(t *testing.T) {
	const levels = 400
	for _, wrap := range []bool{false, true} {
		perLevel := func(depth int) float64 {
			before := inUseBytes()
			var after int64
			runChainsWith(t, context.Background(), depth, levels/depth, chainOpts{wrap: wrap}, nil, func() { after = inUseBytes() })
			return float64(after-before) / levels
		}
		perLevel(levels) // warm up: goroutine records, the runtime's own structures
		shallow, deep := perLevel(40), perLevel(levels)
		if deep > 1.3*shallow {
			t.Errorf("bytes per level (supervisors wrapped in an actor: %v): %.0f at depth 40, %.0f at depth 400; want at most 1.3 times", wrap, shallow, deep)
		}
		t.Logf("bytes per level (supervisors wrapped in an actor: %v): %.0f at depth 40, %.0f at depth 400", wrap, shallow, deep)
	}
}

// The events of a deep tree reach the subscriptions above them without
// looking at every supervisor up to the root for each event: starting a
// chain with a subscription on its root looks at supervisors' subscription
// lists a number of times that grows linearly with the depth (it was once
// per level above, for each event: quadratic).
func TestEventsReachSubscriptionsWithoutWalkingUpEachTime(t *testing.T) {
	visits := func(depth int) int64 {
		var n atomic.Int64
		supervisor.SetTestHookSubsVisit(func() { n.Add(1) })
		defer supervisor.SetTestHookSubsVisit(nil)
		var subs []*supervisor.Subscription
		defer func() {
			for _, sub := range subs {
				sub.Close()
			}
		}()
		runChainsWith(t, context.Background(), depth, 1, chainOpts{setup: func(root *supervisor.Supervisor) {
			sub, err := root.Subscribe(4 * depth * 8)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		}}, nil, func() {})
		if got := len(subs[0].Events()) + int(subs[0].Dropped()); got < 2*depth {
			t.Errorf("depth %d: the root's subscription got %d events, want at least %d", depth, got, 2*depth)
		}
		return n.Load()
	}
	shallow, deep := visits(10), visits(100)
	if deep > 20*shallow {
		t.Errorf("subscription lists looked at while a chain starts and stops: %d at depth 10, %d at depth 100; want at most 20 times", shallow, deep)
	}
	t.Logf("subscription lists looked at while a chain starts and stops: %d at depth 10, %d at depth 100", shallow, deep)
}

// Health lists the not ready children of a tree that is starting in
// pre-order, each before its subtree's, whatever the depth.
func TestHealthListsNotReadyChildrenInPreOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := actor.Func(func(ctx context.Context) error {
			time.Sleep(10 * time.Second)
			actor.Ready(ctx)
			<-ctx.Done()
			return nil
		})
		b := ssNew(t, "b", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: slow, WaitReady: true}))
		a := ssNew(t, "a", supervisor.WithChildren(supervisor.Child{Name: "v", Actor: slow}, supervisor.Child{Name: "b", Actor: b}))
		root := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: a},
			supervisor.Child{Name: "x", Actor: slow, WaitReady: true}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, root)
		synctest.Wait()
		want := []string{"root/a", "root/a/b", "root/a/b/w", "root/x"}
		if h := root.Health(); h.Ready || !slices.Equal(h.NotReady, want) {
			t.Errorf("while starting: ready %v, not ready %q; want %q", h.Ready, h.NotReady, want)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if h := root.Health(); h.Ready || !slices.Equal(h.NotReady, []string{"root/x"}) {
			t.Errorf("once a is ready: ready %v, not ready %q; want [root/x]", h.Ready, h.NotReady)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if h := root.Health(); !h.Ready || h.NotReady != nil {
			t.Errorf("once all are ready: ready %v, not ready %#v; want nil", h.Ready, h.NotReady)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
