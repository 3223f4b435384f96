package bench

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/oklog/run"
	"github.com/thejerf/suture/v4"
	"golang.org/x/sync/errgroup"
)

// treeShapes gives, for each depth D (levels of supervisors), the fan-out
// of each level: the last number is how many leaves each bottom supervisor
// has, the others how many supervisors each supervisor of that level has.
//
//	D=1:  1 supervisor with 10,000 leaves                   (10,000 leaves)
//	D=3:  1 + 22 + 484 supervisors, 22 leaves each          (10,648 leaves)
//	D=10: a binary tree of 1,023 supervisors (depths 1-10), whose 512
//	      bottom ones have 20 leaves each                   (10,240 leaves)
var treeShapes = []struct {
	depth int
	fan   []int
}{
	{1, []int{10_000}},
	{3, []int{22, 22, 22}},
	{10, []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 20}},
}

func leavesOf(fan []int) int {
	n := 1
	for _, f := range fan {
		n *= f
	}
	return n
}

// tree starts a tree of the given shape whose leaves run leaf, and returns
// a function that waits for the root to return once ctx is cancelled.
type tree func(ctx context.Context, fan []int, leaf func(ctx context.Context) error) (wait func())

// treeRaw is nested goroutines, each node joining its children with a
// sync.WaitGroup; the whole tree shares the root's context.
func treeRaw(ctx context.Context, fan []int, leaf func(context.Context) error) func() {
	var node func(fan []int)
	node = func(fan []int) {
		var wg sync.WaitGroup
		wg.Add(fan[0])
		for range fan[0] {
			if len(fan) == 1 {
				go func() {
					defer wg.Done()
					_ = leaf(ctx)
				}()
			} else {
				go func() {
					defer wg.Done()
					node(fan[1:])
				}()
			}
		}
		wg.Wait()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		node(fan)
	}()
	return func() { <-done }
}

// treeErrgroup is nested errgroup.WithContext, one group per node.
func treeErrgroup(ctx context.Context, fan []int, leaf func(context.Context) error) func() {
	var node func(ctx context.Context, fan []int) error
	node = func(ctx context.Context, fan []int) error {
		g, gctx := errgroup.WithContext(ctx)
		for range fan[0] {
			if len(fan) == 1 {
				g.Go(func() error { return leaf(gctx) })
			} else {
				g.Go(func() error { return node(gctx, fan[1:]) })
			}
		}
		return g.Wait()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = node(ctx, fan)
	}()
	return func() { <-done }
}

// treeOklog is nested run.Groups: each node is a Group whose actors are its
// subtrees (execute runs the subtree's Group) or its leaves. The whole tree
// shares the root's context, so every interrupt is a no-op.
func treeOklog(ctx context.Context, fan []int, leaf func(context.Context) error) func() {
	var node func(fan []int) *run.Group
	node = func(fan []int) *run.Group {
		g := new(run.Group)
		for range fan[0] {
			if len(fan) == 1 {
				g.Add(func() error { return leaf(ctx) }, func(error) {})
			} else {
				g.Add(node(fan[1:]).Run, func(error) {})
			}
		}
		return g
	}
	root := node(fan)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = root.Run()
	}()
	return func() { <-done }
}

// treeSuture is nested suture supervisors.
func treeSuture(ctx context.Context, fan []int, leaf func(context.Context) error) func() {
	var node func(name string, fan []int) *suture.Supervisor
	node = func(name string, fan []int) *suture.Supervisor {
		s := suture.New(name, sutureSpec(nil))
		for i := range fan[0] {
			if len(fan) == 1 {
				s.Add(&sutureSvc{name: names[i], run: leaf})
			} else {
				s.Add(node(names[i], fan[1:]))
			}
		}
		return s
	}
	errc := node("root", fan).ServeBackground(ctx)
	return func() { <-errc }
}

// treeOurs is nested arbor supervisors; with concurrent, the bottom
// supervisors (those whose children are the leaves) stop their children
// all at once.
func treeOurs(concurrent bool) tree {
	return func(ctx context.Context, fan []int, leaf func(context.Context) error) func() {
		var node func(name string, fan []int) *supervisor.Supervisor
		node = func(name string, fan []int) *supervisor.Supervisor {
			children := make([]supervisor.Child, fan[0])
			for i := range children {
				children[i].Name = names[i]
				if len(fan) == 1 {
					children[i].Actor = actor.Func(leaf)
				} else {
					children[i].Actor = node(names[i], fan[1:])
				}
			}
			opts := []supervisor.Option{supervisor.WithChildren(children...)}
			if len(fan) == 1 && concurrent {
				opts = append(opts, supervisor.WithConcurrentShutdown(true))
			}
			s, err := supervisor.New(name, opts...)
			if err != nil {
				panic(err)
			}
			return s
		}
		root := node("root", fan)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := root.Run(ctx); err != nil {
				panic(err)
			}
		}()
		return func() { <-done }
	}
}

// BenchmarkCancelTree measures stopping a tree of depth D with about
// 10,000 leaves blocked on their context (see treeShapes): only the time
// from cancelling the root's context to the root having returned is
// timed.
func BenchmarkCancelTree(b *testing.B) {
	for _, shape := range treeShapes {
		b.Run("D="+strconv.Itoa(shape.depth), func(b *testing.B) {
			for _, im := range []struct {
				name  string
				start tree
			}{
				{"raw", treeRaw},
				{"errgroup", treeErrgroup},
				{"oklog", treeOklog},
				{"suture", treeSuture},
				{"ours", treeOurs(true)},
				{"ours-ordered", treeOurs(false)},
			} {
				b.Run("impl="+im.name, func(b *testing.B) {
					base := runtime.NumGoroutine()
					n := leavesOf(shape.fan)
					var running sync.WaitGroup
					leaf := func(ctx context.Context) error {
						running.Done()
						<-ctx.Done()
						return nil
					}
					b.ReportAllocs()
					b.StopTimer()
					for range b.N {
						running.Add(n)
						ctx, cancel := context.WithCancel(context.Background())
						wait := im.start(ctx, shape.fan, leaf)
						running.Wait()
						b.StartTimer()
						cancel()
						wait()
						b.StopTimer()
						settle(b, base)
					}
				})
			}
		})
	}
}
