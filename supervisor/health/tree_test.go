package health_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// get returns the body of a GET of target, which must answer 200.
func get(t *testing.T, h http.Handler, target string) []byte {
	t.Helper()
	rec := do(h, http.MethodGet, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// /tree.json and /tree cost about the same bytes per node for chains of
// supervisors of depths 10, 1000 and 5000, and encoding/json decodes
// /tree.json at every depth.
func TestTreeBytesPerNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 6,000 supervisors")
	}
	perNode := map[int][2]float64{}
	deepest := 5000
	if raceEnabled {
		deepest = 2000 // 5,000 supervisors take most of a minute under the race detector
	}
	for _, depth := range []int{10, 1000, deepest} {
		synctest.Test(t, func(t *testing.T) {
			sup := supervisortest.Chain(t, depth)
			stop := supervisortest.Start(t, sup).Stop
			synctest.Wait()
			h := health.Handler(sup)
			body, text := get(t, h, "/tree.json"), get(t, h, "/tree")
			nodes := float64(depth + 1)
			perNode[depth] = [2]float64{float64(len(body)) / nodes, float64(len(text)) / nodes}
			t.Logf("depth %4d, %4d nodes: /tree.json %7d bytes, %3.0f per node; /tree %6d bytes, %3.0f per node",
				depth, depth+1, len(body), perNode[depth][0], len(text), perNode[depth][1])

			var flat supervisor.FlatTree
			if err := json.Unmarshal(body, &flat); err != nil {
				t.Fatalf("depth %d: %v", depth, err)
			}
			if len(flat.Nodes) != depth+1 || flat.Truncated != nil {
				t.Errorf("depth %d: %d nodes, truncated %+v; want %d, nil", depth, len(flat.Nodes), flat.Truncated, depth+1)
			}
			var snap supervisor.Snapshot
			if err := json.Unmarshal(body, &snap); err != nil {
				t.Fatalf("depth %d: into a Snapshot: %v", depth, err)
			}
			if want := sup.Snapshot(); !reflect.DeepEqual(snap, want) {
				t.Errorf("depth %d: /tree.json decodes to another tree than Snapshot()", depth)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, depth := range []int{1000, deepest} {
		if j, base := perNode[depth][0], perNode[10][0]; j > 1.25*base || j < base/1.25 {
			t.Errorf("/tree.json: %.0f bytes per node at depth %d, %.0f at depth 10", j, depth, base)
		}
		// A line's indentation grows up to depth 32 and no further.
		if x, base := perNode[depth][1], perNode[10][1]; x > 2.5*base {
			t.Errorf("/tree: %.0f bytes per node at depth %d, %.0f at depth 10", x, depth, base)
		}
	}
}

// The handler's limit cuts the tree and says so, in the JSON and the text;
// a request can lower the limits and not raise them.
func TestTreeLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := supervisortest.Chain(t, 2000)
		stop := supervisortest.Start(t, sup).Stop
		synctest.Wait()
		h, err := health.NewHandler(sup, health.WithMaxNodes(1000))
		if err != nil {
			t.Fatal(err)
		}
		check := func(target string, nodes int, trunc supervisor.Truncation) {
			t.Helper()
			var flat supervisor.FlatTree
			if err := json.Unmarshal(get(t, h, target), &flat); err != nil {
				t.Fatalf("GET %s: %v", target, err)
			}
			if len(flat.Nodes) != nodes || flat.Truncated == nil || *flat.Truncated != trunc {
				t.Fatalf("GET %s: %d nodes, truncated %+v; want %d, %+v", target, len(flat.Nodes), flat.Truncated, nodes, trunc)
			}
			if last := flat.Nodes[nodes-1]; last.ChildrenOmitted != 1 {
				t.Errorf("GET %s: last node %+v, want children_omitted 1", target, last)
			}
		}
		check("/tree.json", 1000, supervisor.Truncation{NodesOmitted: 1001, MaxNodes: 1000})
		check("/tree.json?max_nodes=10", 10, supervisor.Truncation{NodesOmitted: 1991, MaxNodes: 10})
		check("/tree.json?max_nodes=100000", 1000, supervisor.Truncation{NodesOmitted: 1001, MaxNodes: 1000})
		check("/tree?format=json&max_depth=2", 3, supervisor.Truncation{NodesOmitted: 1998, MaxNodes: 1000, MaxDepth: 2})

		var snap supervisor.Snapshot
		if err := json.Unmarshal(get(t, h, "/tree.json"), &snap); !errors.Is(err, supervisor.ErrTruncatedTree) {
			t.Errorf("decoding a cut tree into a Snapshot: %v, want ErrTruncatedTree", err)
		}

		want := "root [supervisor running ready]\n" +
			"  s1 [supervisor running ready restarts=0]\n" +
			"    ... 1 more child not shown\n" +
			"(truncated: 1999 nodes omitted; max_nodes 2)\n"
		expect(t, h, "/tree?max_nodes=2", http.StatusOK, want)
		text := string(get(t, h, "/tree"))
		if !strings.HasSuffix(text, "(truncated: 1001 nodes omitted; max_nodes 1000)\n") ||
			!strings.Contains(text, "(999) s999 [") || strings.Contains(text, "s1000") {
			t.Errorf("GET /tree: does not end with the cut of 1000 nodes:\n...%s", text[len(text)-300:])
		}

		for _, target := range []string{"/tree?max_nodes=0", "/tree.json?max_nodes=-1", "/tree.json?max_depth=x", "/tree?format=json&max_nodes=1.5"} {
			if rec := do(h, http.MethodGet, target); rec.Code != http.StatusBadRequest {
				t.Errorf("GET %s: %d, want 400", target, rec.Code)
			}
		}

		// The default is 10,000 nodes: more than this tree, which is served whole.
		h = health.Handler(sup)
		if body := get(t, h, "/tree.json"); strings.Contains(string(body), "truncated") {
			t.Errorf("Handler cut a tree of 2001 nodes")
		}
		h, _ = health.NewHandler(sup, health.WithMaxNodes(0), health.WithMaxDepth(3))
		expect(t, h, "/tree?max_depth=1", http.StatusOK, "root [supervisor running ready]\n"+
			"  s1 [supervisor running ready restarts=0]\n"+
			"    ... 1 more child not shown\n"+
			"(truncated: 1999 nodes omitted; max_depth 1)\n")
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNewHandlerErrors(t *testing.T) {
	sup := newSup(t)
	for _, tc := range []struct {
		s     *supervisor.Supervisor
		opts  []health.Option
		field string
	}{
		{nil, nil, "Supervisor"},
		{sup, []health.Option{health.WithMaxNodes(-1)}, "health.WithMaxNodes"},
		{sup, []health.Option{health.WithMaxDepth(-2)}, "health.WithMaxDepth"},
	} {
		h, err := health.NewHandler(tc.s, tc.opts...)
		var ce *supervisor.ConfigError
		if h != nil || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("NewHandler: %v, %v; want a *ConfigError for %s", h, err, tc.field)
		}
	}
	h, err := health.NewHandler(sup, nil, health.WithMaxNodes(5))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, h, "/tree", http.StatusOK, "root [supervisor stopped]\n")
}
