package supervisor_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// leafPath is the path of the leaf of supervisortest.Chain(depth).
func leafPath(depth int) string {
	var b strings.Builder
	b.WriteString("root")
	for d := 1; d < depth; d++ {
		b.WriteString("/s" + strconv.Itoa(d))
	}
	return b.String() + "/leaf"
}

// The JSON and the text of a chain of supervisors cost about the same
// bytes per node at depths 10, 1000 and 5000, and encoding/json decodes the
// JSON back into the same nested Snapshot at every depth.
func TestFlatTreeDepthIndependent(t *testing.T) {
	type size struct{ json, text float64 }
	sizes := map[int]size{}
	deepest := 5000
	if raceEnabled {
		deepest = 2000 // 5,000 supervisors take most of a minute under the race detector
	}
	depths := []int{10, 1000, deepest}
	if testing.Short() {
		t.Skip("starts 6,000 supervisors; see also health's TestTreeBytesPerNode")
	}
	for _, depth := range depths {
		synctest.Test(t, func(t *testing.T) {
			sup := supervisortest.Chain(t, depth)
			stop := supervisortest.Start(t, sup).Stop
			synctest.Wait()
			snap := sup.Snapshot()
			body, err := snap.Flatten(supervisor.TreeLimits{}).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			text := snap.String()
			nodes := float64(depth + 1)
			sizes[depth] = size{float64(len(body)) / nodes, float64(len(text)) / nodes}
			t.Logf("depth %d: JSON %d bytes, %.0f per node; text %d bytes, %.0f per node",
				depth, len(body), sizes[depth].json, len(text), sizes[depth].text)

			var back supervisor.Snapshot
			if err := json.Unmarshal(body, &back); err != nil {
				t.Fatalf("depth %d: json.Unmarshal: %v", depth, err)
			}
			if !reflect.DeepEqual(back, snap) {
				t.Errorf("depth %d: the decoded tree differs from the snapshot", depth)
			}
			n := &back
			for len(n.Children) > 0 {
				n = &n.Children[0]
			}
			if want := leafPath(depth); n.Path != want {
				t.Errorf("depth %d: leaf path %.40q..., want %.40q...", depth, n.Path, want)
			}
			lines := strings.Split(text, "\n")
			if last, want := lines[len(lines)-1], "("+strconv.Itoa(depth)+") leaf [worker running ready restarts=0]"; depth > 32 && strings.TrimLeft(last, " ") != want {
				t.Errorf("depth %d: last line %q, want %q after the indentation", depth, last, want)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The JSON's nodes cost the same at every depth. A text line's
	// indentation grows up to depth 32 (64 spaces) and no further: the
	// text of the deep chains costs about twice the shallow one's, and the
	// same at depths 1000 and 5000.
	for _, r := range []struct {
		what      string
		got, base float64
		factor    float64
	}{
		{"JSON, depth 1000 vs 10", sizes[1000].json, sizes[10].json, 1.25},
		{"JSON, depth 5000 vs 10", sizes[deepest].json, sizes[10].json, 1.25},
		{"text, depth 1000 vs 10", sizes[1000].text, sizes[10].text, 2.5},
		{"text, depth 5000 vs 10", sizes[deepest].text, sizes[10].text, 2.5},
		{"text, depth 5000 vs 1000", sizes[deepest].text, sizes[1000].text, 1.05},
	} {
		if r.got > r.factor*r.base || r.got < r.base/r.factor {
			t.Errorf("%s: %.0f and %.0f bytes per node, more than %v times apart", r.what, r.got, r.base, r.factor)
		}
	}
}

// The text tree indents two spaces a level up to depth 32, then shows the
// depth as a number.
func TestSnapshotStringIndentCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := supervisortest.Chain(t, 34)
		stop := supervisortest.Start(t, sup).Stop
		synctest.Wait()
		lines := strings.Split(sup.Snapshot().String(), "\n")
		if len(lines) != 35 {
			t.Fatalf("%d lines, want 35", len(lines))
		}
		cap := strings.Repeat("  ", 32)
		for d, want := range map[int]string{
			0:  "root [supervisor running ready]",
			1:  "  s1 [supervisor running ready restarts=0]",
			32: cap + "s32 [supervisor running ready restarts=0]",
			33: cap + "(33) s33 [supervisor running ready restarts=0]",
			34: cap + "(34) leaf [worker running ready restarts=0]",
		} {
			if lines[d] != want {
				t.Errorf("line %d = %q, want %q", d, lines[d], want)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// wideTree returns a snapshot value:
//
//	root
//	  a
//	    a1
//	      a1x
//	    a2
//	  b
//	    b1
//	  c
func wideTree() supervisor.Snapshot {
	node := func(path string, children ...supervisor.Snapshot) supervisor.Snapshot {
		kind := supervisor.KindWorker
		if len(children) > 0 {
			kind = supervisor.KindSupervisor
		}
		return supervisor.Snapshot{Path: path, Name: path[strings.LastIndex(path, "/")+1:], Kind: kind,
			State: supervisor.StateRunning, Ready: true, Incarnation: 1, Children: children}
	}
	root := node("root",
		node("root/a", node("root/a/a1", node("root/a/a1/a1x")), node("root/a/a2")),
		node("root/b", node("root/b/b1")),
		node("root/c"))
	root.Incarnation = 0
	return root
}

// names lists the nodes' names, with the children they omit.
func names(f supervisor.FlatTree) []string {
	var out []string
	for _, n := range f.Nodes {
		s := n.Name + "<" + strconv.Itoa(n.Parent)
		if n.ChildrenOmitted > 0 {
			s += fmt.Sprintf("+%d", n.ChildrenOmitted)
		}
		out = append(out, s)
	}
	return out
}

// Limits keep the nodes nearest to the top, in pre-order, and say what
// they cut: in the nodes whose children they cut, in Truncated and in the
// text.
func TestFlattenLimits(t *testing.T) {
	snap := wideTree()
	for _, tc := range []struct {
		lim   supervisor.TreeLimits
		nodes []string
		trunc *supervisor.Truncation
		text  string
	}{
		{lim: supervisor.TreeLimits{},
			nodes: []string{"root<-1", "a<0", "a1<1", "a1x<2", "a2<1", "b<0", "b1<5", "c<0"}},
		{lim: supervisor.TreeLimits{MaxNodes: 8, MaxDepth: 3},
			nodes: []string{"root<-1", "a<0", "a1<1", "a1x<2", "a2<1", "b<0", "b1<5", "c<0"}},
		{lim: supervisor.TreeLimits{MaxNodes: 1},
			nodes: []string{"root<-1+3"},
			trunc: &supervisor.Truncation{NodesOmitted: 7, MaxNodes: 1},
			text: "root [supervisor running ready]\n" +
				"  ... 3 more children not shown\n" +
				"(truncated: 7 nodes omitted; max_nodes 1)"},
		{lim: supervisor.TreeLimits{MaxNodes: 5},
			nodes: []string{"root<-1", "a<0+1", "a1<1+1", "b<0+1", "c<0"},
			trunc: &supervisor.Truncation{NodesOmitted: 3, MaxNodes: 5},
			text: "root [supervisor running ready]\n" +
				"  a [supervisor running ready restarts=0]\n" +
				"    a1 [supervisor running ready restarts=0]\n" +
				"      ... 1 more child not shown\n" +
				"    ... 1 more child not shown\n" +
				"  b [supervisor running ready restarts=0]\n" +
				"    ... 1 more child not shown\n" +
				"  c [worker running ready restarts=0]\n" +
				"(truncated: 3 nodes omitted; max_nodes 5)"},
		{lim: supervisor.TreeLimits{MaxDepth: 1},
			nodes: []string{"root<-1", "a<0+2", "b<0+1", "c<0"},
			trunc: &supervisor.Truncation{NodesOmitted: 4, MaxDepth: 1}},
		{lim: supervisor.TreeLimits{MaxNodes: 6, MaxDepth: 2},
			nodes: []string{"root<-1", "a<0", "a1<1+1", "a2<1", "b<0+1", "c<0"},
			trunc: &supervisor.Truncation{NodesOmitted: 2, MaxNodes: 6, MaxDepth: 2},
			text: "root [supervisor running ready]\n" +
				"  a [supervisor running ready restarts=0]\n" +
				"    a1 [supervisor running ready restarts=0]\n" +
				"      ... 1 more child not shown\n" +
				"    a2 [worker running ready restarts=0]\n" +
				"  b [supervisor running ready restarts=0]\n" +
				"    ... 1 more child not shown\n" +
				"  c [worker running ready restarts=0]\n" +
				"(truncated: 2 nodes omitted; max_nodes 6, max_depth 2)"},
		{lim: supervisor.TreeLimits{MaxNodes: -1, MaxDepth: -5},
			nodes: []string{"root<-1", "a<0", "a1<1", "a1x<2", "a2<1", "b<0", "b1<5", "c<0"}},
	} {
		t.Run(fmt.Sprintf("nodes=%d,depth=%d", tc.lim.MaxNodes, tc.lim.MaxDepth), func(t *testing.T) {
			f := snap.Flatten(tc.lim)
			if got := names(f); !reflect.DeepEqual(got, tc.nodes) {
				t.Errorf("nodes %q, want %q", got, tc.nodes)
			}
			if !reflect.DeepEqual(f.Truncated, tc.trunc) {
				t.Errorf("Truncated = %+v, want %+v", f.Truncated, tc.trunc)
			}
			if tc.text != "" && f.String() != tc.text {
				t.Errorf("String():\n%s\nwant:\n%s", f.String(), tc.text)
			}
			body, err := f.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var back supervisor.Snapshot
			err = json.Unmarshal(body, &back)
			switch {
			case tc.trunc == nil && err != nil:
				t.Fatalf("decoding a whole tree: %v", err)
			case tc.trunc == nil && !reflect.DeepEqual(back, snap):
				t.Errorf("decoded %+v\nwant %+v", back, snap)
			case tc.trunc != nil && !errors.Is(err, supervisor.ErrTruncatedTree):
				t.Errorf("decoding a truncated tree: %v, want ErrTruncatedTree", err)
			case tc.trunc != nil && !strings.HasSuffix(err.Error(), ": "+tc.trunc.String()):
				t.Errorf("error %q does not say how many nodes were omitted", err)
			}
			var flat supervisor.FlatTree
			if err := json.Unmarshal(body, &flat); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(flat, f) {
				t.Errorf("FlatTree round trip:\n got  %+v\n want %+v", flat, f)
			}
			part, err := flat.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if tc.trunc != nil && !reflect.DeepEqual(back, part) {
				t.Errorf("the partial tree decoded with ErrTruncatedTree differs from FlatTree.Snapshot()")
			}
			if got := part.Flatten(supervisor.TreeLimits{}); len(got.Nodes) != len(f.Nodes) {
				t.Errorf("the partial tree has %d nodes, want %d", len(got.Nodes), len(f.Nodes))
			}
		})
	}
}

// The snapshot of a child supervisor keeps its full path through JSON.
func TestFlatTreeSubtreePath(t *testing.T) {
	snap := wideTree().Children[0]
	body, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(body), `{"version":2,"path":"root/a","nodes":[`) {
		t.Errorf("JSON starts %.50s", body)
	}
	var back supervisor.Snapshot
	if err := json.Unmarshal(body, &back); err != nil || !reflect.DeepEqual(back, snap) {
		t.Errorf("decoded %+v, %v\nwant %+v", back, err, snap)
	}
}

// Malformed flat trees are a *FlatTreeError naming the node.
func TestFlatTreeErrors(t *testing.T) {
	for _, tc := range []struct {
		json string
		node int
		says string
	}{
		{`{"path":"root","children":[]}`, -1, "no version"},
		{`{"version":3,"nodes":[{"id":0,"parent":-1,"name":"root"}]}`, -1, "version 3"},
		{`{"version":2,"nodes":[]}`, -1, "no nodes"},
		{`{"version":2}`, -1, "no nodes"},
		{`{"version":2,"nodes":[{"id":0,"parent":0,"name":"root"}]}`, 0, "parent 0"},
		{`{"version":2,"nodes":[{"id":0,"parent":-1},{"id":2,"parent":0}]}`, 1, "id 2"},
		{`{"version":2,"nodes":[{"id":0,"parent":-1},{"id":1,"parent":1}]}`, 1, "parent 1"},
		{`{"version":2,"nodes":[{"id":0,"parent":-1},{"id":1,"parent":5}]}`, 1, "parent 5"},
		{`{"version":2,"nodes":[{"id":0,"parent":-1},{"id":1,"parent":-1}]}`, 1, "parent -1"},
		{`{"version":2,"nodes":[{"id":0,"parent":-1},{"id":1,"parent":0},{"id":2,"parent":0},{"id":3,"parent":1}]}`, 3, "pre-order"},
		{`{"version":2,"nodes":[{"id":0,"parent":-1,"children_omitted":-1}]}`, 0, "children_omitted -1"},
	} {
		var s supervisor.Snapshot
		err := json.Unmarshal([]byte(tc.json), &s)
		var fe *supervisor.FlatTreeError
		if !errors.As(err, &fe) || fe.Node != tc.node || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want a *FlatTreeError for node %d saying %q", tc.json, err, tc.node, tc.says)
		}
	}
	if err := json.Unmarshal([]byte(`[1]`), new(supervisor.Snapshot)); err == nil {
		t.Error("decoding an array: no error")
	}
}

// A FlatTree made by hand or decoded from elsewhere prints as text even
// when malformed, without panicking.
func TestFlatTreeStringMalformed(t *testing.T) {
	f := supervisor.FlatTree{Version: 2, Nodes: []supervisor.FlatNode{
		{ID: 0, Parent: -1, Name: "root"}, {ID: 1, Parent: 7, Name: "lost", ChildrenOmitted: 1},
	}}
	want := "root [auto starting]\nlost [auto starting]\n  ... 1 more child not shown"
	if got := f.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}
	if got := (supervisor.FlatTree{}).String(); got != "" {
		t.Errorf("empty: %q", got)
	}
}
