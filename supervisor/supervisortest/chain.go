package supervisortest

import (
	"context"
	"strconv"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// Chain returns a tree of the given depth (at least 1) that is one chain:
// the supervisor "root", then supervisors "s1", "s2"... each the only child
// of the one above, and at the bottom, at depth depth, the worker "leaf",
// which becomes ready and runs until cancelled. The tree has depth+1 nodes.
func Chain(tb TB, depth int) *supervisor.Supervisor {
	tb.Helper()
	below := supervisor.Child{Name: "leaf", Actor: actor.Func(func(ctx context.Context) error {
		actor.Ready(ctx)
		<-ctx.Done()
		return nil
	})}
	for d := depth - 1; d >= 0; d-- {
		name := "s" + strconv.Itoa(d)
		if d == 0 {
			name = "root"
		}
		s, err := supervisor.New(name, supervisor.WithChildren(below))
		if err != nil {
			tb.Fatalf("Chain(%d): New(%q): %v", depth, name, err)
		}
		if d == 0 {
			return s
		}
		below = supervisor.Child{Name: name, Actor: s}
	}
	tb.Fatalf("Chain(%d): depth must be at least 1", depth)
	return nil
}
