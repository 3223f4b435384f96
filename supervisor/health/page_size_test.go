package health_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// runTree runs root until the test ends, once it is ready.
func runTree(t *testing.T, root *supervisor.Supervisor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	if err := root.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// pageNodes returns the nodes of a "/ui/tree.json" response and what it
// says was cut.
func pageNodes(t *testing.T, h http.Handler, target string) (int, *supervisor.Truncation, int) {
	t.Helper()
	rec := do(h, http.MethodGet, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var v struct {
		Tree struct {
			Truncated *supervisor.Truncation `json:"truncated"`
			Nodes     []json.RawMessage      `json:"nodes"`
		} `json:"tree"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return len(v.Tree.Nodes), v.Tree.Truncated, rec.Body.Len()
}

// The page's tree holds what "/tree.json" holds: at most the handler's
// limits of nodes and depth, lowered by max_nodes and max_depth, and says
// what it cut.
func TestPageTreeKeepsTheHandlersLimits(t *testing.T) {
	idle := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	var kids []supervisor.Child
	for i := range 300 {
		kids = append(kids, supervisor.Child{Name: "w" + strconv.Itoa(i), Actor: idle})
	}
	root := supervisortest.New(t, "root", supervisor.WithChildren(append(kids,
		supervisor.Child{Name: "sub", Actor: supervisortest.New(t, "sub", supervisor.WithChildren(
			supervisor.Child{Name: "leaf", Actor: idle}))})...))
	runTree(t, root)
	h, err := health.NewHandler(root, health.WithMaxNodes(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target  string
		want    int
		omitted int
	}{
		{"/ui/tree.json", 100, 203},
		{"/ui/tree.json?max_nodes=10", 10, 293},
		{"/ui/tree.json?max_nodes=1000", 100, 203},
	} {
		n, cut, _ := pageNodes(t, h, tc.target)
		if n != tc.want || cut == nil || cut.NodesOmitted != tc.omitted {
			t.Errorf("GET %s: %d nodes, cut %+v; want %d nodes, %d omitted", tc.target, n, cut, tc.want, tc.omitted)
		}
	}
	h, err = health.NewHandler(root, health.WithMaxDepth(1))
	if err != nil {
		t.Fatal(err)
	}
	if n, cut, _ := pageNodes(t, h, "/ui/tree.json"); n != 302 || cut == nil || cut.NodesOmitted != 1 {
		t.Errorf("GET /ui/tree.json with max depth 1: %d nodes, cut %+v; want 302 nodes, 1 omitted", n, cut)
	}
	if n, cut, _ := pageNodes(t, health.Handler(root), "/ui/tree.json"); n != 303 || cut != nil {
		t.Errorf("GET /ui/tree.json within the default limits: %d nodes, cut %+v; want 303, nothing cut", n, cut)
	}
}

// The page's tree grows linearly with the depth: a chain 2,000 supervisors
// deep costs at most twice the bytes of 2,000 sibling supervisors with the
// same names (a node does not carry its whole path).
func TestPageTreeSizeIsLinearInDepth(t *testing.T) {
	const n = 2000
	name := func(i int) string { return "s" + strconv.Itoa(i) }
	// The chain: s0 <- s1 <- ... <- s1999.
	var below []supervisor.Child
	var chain *supervisor.Supervisor
	for i := n - 1; i >= 0; i-- {
		chain = supervisortest.New(t, name(i), supervisor.WithChildren(below...))
		below = []supervisor.Child{{Name: name(i), Actor: chain}}
	}
	// The siblings: s0 with s1 ... s1999 as its children.
	var sibs []supervisor.Child
	for i := 1; i < n; i++ {
		sibs = append(sibs, supervisor.Child{Name: name(i), Actor: supervisortest.New(t, name(i))})
	}
	flat := supervisortest.New(t, name(0), supervisor.WithChildren(sibs...))
	runTree(t, chain)
	runTree(t, flat)
	deepNodes, deepCut, deep := pageNodes(t, health.Handler(chain), "/ui/tree.json")
	wideNodes, wideCut, wide := pageNodes(t, health.Handler(flat), "/ui/tree.json")
	if deepNodes != n || wideNodes != n || deepCut != nil || wideCut != nil {
		t.Fatalf("nodes: %d deep, %d wide (cut %+v, %+v); want %d each", deepNodes, wideNodes, deepCut, wideCut, n)
	}
	if deep > 2*wide {
		t.Errorf("/ui/tree.json: %d bytes for a chain %d deep, %d for %d siblings; want at most twice", deep, n, wide, n)
	}
	t.Logf("/ui/tree.json: %d bytes for a chain %d deep, %d for %d siblings", deep, n, wide, n)
}
