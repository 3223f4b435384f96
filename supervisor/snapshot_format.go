package supervisor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// FlatVersion is the version of the flat tree format, FlatTree's Version.
// Version 1 was the nested JSON of Snapshot (each node with its full path
// and its children inside it), no longer produced nor read.
const FlatVersion = 2

// FlatTree is the flat form of a Snapshot, the form its JSON takes: the
// nodes in pre-order (a node, then each of its children's subtrees in start
// order), each with the index of its parent and its name only, so that the
// size of a node does not grow with its depth and encoding/json decodes any
// tree (its nesting is fixed). A client rebuilds a node's path from its
// parents': FlatTree.Snapshot does.
//
// Its JSON holds one node a line:
//
//	{"version":2,"path":"root","nodes":[
//	{"id":0,"parent":-1,"name":"root","kind":"supervisor","state":"running",...},
//	{"id":1,"parent":0,"name":"http","kind":"worker","state":"running",...}
//	]}
//
// A FlatTree cut to TreeLimits says what it left out in Truncated and in
// the ChildrenOmitted of the nodes whose children it cut.
type FlatTree struct {
	// Version is FlatVersion.
	Version int `json:"version"`
	// Path is the path of the first node: its name for a root, a longer
	// path for the snapshot of a child supervisor.
	Path string `json:"path"`
	// Truncated says what TreeLimits cut; nil when nothing was cut.
	Truncated *Truncation `json:"truncated,omitempty"`
	// Nodes are the nodes in pre-order; Nodes[0] is the top node.
	Nodes []FlatNode `json:"nodes"`
}

// FlatNode is one node of a FlatTree: the fields of a Snapshot without its
// path and children, plus its place in the tree.
type FlatNode struct {
	// ID is the node's index in FlatTree.Nodes.
	ID int `json:"id"`
	// Parent is the ID of the node's parent, -1 for the top node.
	Parent int `json:"parent"`
	// Name to Counters are the node's fields of the same names in its
	// Snapshot.
	Name        string    `json:"name"`
	Kind        Kind      `json:"kind"`
	State       State     `json:"state"`
	Restarts    int       `json:"restarts"`
	LastError   string    `json:"last_error,omitempty"`
	Status      string    `json:"status,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	Ready       bool      `json:"ready"`
	WaitReady   bool      `json:"wait_ready"`
	Incarnation uint64    `json:"incarnation"`
	Counters    *Counters `json:"counters,omitempty"`
	// ChildrenOmitted counts the node's children left out by TreeLimits,
	// each with its subtree: they are its last ChildrenOmitted children.
	ChildrenOmitted int `json:"children_omitted,omitempty"`
}

// Truncation says what TreeLimits left out of a FlatTree.
type Truncation struct {
	// NodesOmitted counts the nodes of the snapshot left out.
	NodesOmitted int `json:"nodes_omitted"`
	// MaxNodes and MaxDepth are the limits that were in force; zero for
	// none.
	MaxNodes int `json:"max_nodes,omitempty"`
	MaxDepth int `json:"max_depth,omitempty"`
}

// String says what was cut, as in "4001 nodes omitted; max_nodes 1000".
func (t *Truncation) String() string {
	s := strconv.Itoa(t.NodesOmitted) + " nodes omitted"
	if t.NodesOmitted == 1 {
		s = "1 node omitted"
	}
	sep := "; "
	if t.MaxNodes > 0 {
		s += sep + "max_nodes " + strconv.Itoa(t.MaxNodes)
		sep = ", "
	}
	if t.MaxDepth > 0 {
		s += sep + "max_depth " + strconv.Itoa(t.MaxDepth)
	}
	return s
}

// TreeLimits bound the size of a FlatTree. The zero value sets no limit.
type TreeLimits struct {
	// MaxNodes is the most nodes kept; zero or negative for no limit.
	MaxNodes int
	// MaxDepth is the depth of the deepest nodes kept, the top node being
	// at depth 0; zero or negative for no limit.
	MaxDepth int
}

// ErrTruncatedTree is matched by the error of decoding, into a Snapshot,
// the JSON of a FlatTree cut to TreeLimits.
var ErrTruncatedTree = errors.New("supervisor: truncated tree")

// FlatTreeError reports JSON or a FlatTree that is not a well-formed flat
// tree.
type FlatTreeError struct {
	// Node is the index of the offending node, or -1.
	Node int
	// Reason says what is wrong.
	Reason string
}

// Error returns "supervisor: bad flat tree", the node and the reason.
func (e *FlatTreeError) Error() string {
	if e.Node < 0 {
		return "supervisor: bad flat tree: " + e.Reason
	}
	return fmt.Sprintf("supervisor: bad flat tree: node %d: %s", e.Node, e.Reason)
}

// Flatten returns the flat form of the tree n, cut to lim. When lim cuts,
// it keeps the nodes nearest to the top (breadth-first, siblings in start
// order), so that a node's kept children are its first ones, and lists them
// in pre-order.
func (n Snapshot) Flatten(lim TreeLimits) FlatTree {
	return flatten(&n, lim)
}

func flatten(n *Snapshot, lim TreeLimits) FlatTree {
	kept, total := keepNear(n, lim)
	f := FlatTree{Version: FlatVersion, Path: n.Path, Nodes: make([]FlatNode, 0, min(total, 1024))}
	type frame struct {
		n        *Snapshot
		id, next int
	}
	stack := []frame{{n: n}}
	f.Nodes = append(f.Nodes, flatNode(n, 0, -1))
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		keep := len(top.n.Children)
		if kept != nil {
			keep = kept[top.n]
		}
		if top.next == keep {
			f.Nodes[top.id].ChildrenOmitted = len(top.n.Children) - keep
			stack = stack[:len(stack)-1]
			continue
		}
		c := &top.n.Children[top.next]
		top.next++
		id := len(f.Nodes)
		f.Nodes = append(f.Nodes, flatNode(c, id, top.id))
		stack = append(stack, frame{n: c, id: id})
	}
	if omitted := total - len(f.Nodes); omitted > 0 {
		f.Truncated = &Truncation{NodesOmitted: omitted, MaxNodes: max(lim.MaxNodes, 0), MaxDepth: max(lim.MaxDepth, 0)}
	}
	return f
}

// keepNear returns how many children of each node lim keeps (nil when it
// keeps all) and the number of nodes in the tree.
func keepNear(n *Snapshot, lim TreeLimits) (kept map[*Snapshot]int, total int) {
	if lim.MaxNodes <= 0 && lim.MaxDepth <= 0 {
		return nil, count(n)
	}
	maxNodes, maxDepth := lim.MaxNodes, lim.MaxDepth
	if maxNodes <= 0 {
		maxNodes = int(^uint(0) >> 1)
	}
	if maxDepth <= 0 {
		maxDepth = maxNodes
	}
	kept = make(map[*Snapshot]int)
	level, nodes := []*Snapshot{n}, 1
	for depth := 1; depth <= maxDepth && nodes < maxNodes && len(level) > 0; depth++ {
		var next []*Snapshot
		for _, p := range level {
			k := min(len(p.Children), maxNodes-nodes)
			kept[p] = k
			nodes += k
			for i := range k {
				next = append(next, &p.Children[i])
			}
		}
		level = next
	}
	return kept, count(n)
}

// count returns the number of nodes of the tree n.
func count(n *Snapshot) int {
	total := 0
	stack := []*Snapshot{n}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		total++
		for i := range p.Children {
			stack = append(stack, &p.Children[i])
		}
	}
	return total
}

func flatNode(n *Snapshot, id, parent int) FlatNode {
	return FlatNode{
		ID: id, Parent: parent, Name: n.Name, Kind: n.Kind, State: n.State,
		Restarts: n.Restarts, LastError: n.LastError, Status: n.Status, Since: n.Since, Ready: n.Ready,
		WaitReady: n.WaitReady, Incarnation: n.Incarnation, Counters: n.Counters,
	}
}

// Snapshot rebuilds the nested tree from f, each node's path from its
// parent's. A truncated f gives the part it holds, without an error. It
// returns a *FlatTreeError when f is not a well-formed flat tree: another
// version, no nodes, an ID other than the node's index, or a parent that is
// not an ancestor of the node before it.
func (f *FlatTree) Snapshot() (Snapshot, error) {
	if err := f.check(); err != nil {
		return Snapshot{}, err
	}
	// Children of each node, then the nodes built bottom-up: in pre-order a
	// node's children come after it.
	kids := make([][]int, len(f.Nodes))
	for i := 1; i < len(f.Nodes); i++ {
		p := f.Nodes[i].Parent
		kids[p] = append(kids[p], i)
	}
	paths := make([]string, len(f.Nodes))
	paths[0] = f.Path
	if paths[0] == "" {
		paths[0] = f.Nodes[0].Name
	}
	for i := 1; i < len(f.Nodes); i++ {
		paths[i] = paths[f.Nodes[i].Parent] + PathSeparator + f.Nodes[i].Name
	}
	built := make([]Snapshot, len(f.Nodes))
	for i := len(f.Nodes) - 1; i >= 0; i-- {
		fn := &f.Nodes[i]
		s := Snapshot{
			Path: paths[i], Name: fn.Name, Kind: fn.Kind, State: fn.State,
			Restarts: fn.Restarts, LastError: fn.LastError, Status: fn.Status, Since: fn.Since, Ready: fn.Ready,
			WaitReady: fn.WaitReady, Incarnation: fn.Incarnation, Counters: fn.Counters,
		}
		if len(kids[i]) > 0 {
			s.Children = make([]Snapshot, len(kids[i]))
			for j, k := range kids[i] {
				s.Children[j] = built[k]
				built[k] = Snapshot{}
			}
		}
		built[i] = s
	}
	return built[0], nil
}

// check returns a *FlatTreeError when f is not well formed.
func (f *FlatTree) check() error {
	if f.Version == 0 {
		return &FlatTreeError{Node: -1, Reason: "no version: not a flat tree (the nested JSON of version 1 is no longer read)"}
	}
	if f.Version != FlatVersion {
		return &FlatTreeError{Node: -1, Reason: fmt.Sprintf("version %d, want %d", f.Version, FlatVersion)}
	}
	if len(f.Nodes) == 0 {
		return &FlatTreeError{Node: -1, Reason: "no nodes"}
	}
	var open []int // the ancestors of the node before, and that node
	for i := range f.Nodes {
		fn := &f.Nodes[i]
		switch {
		case fn.ID != i:
			return &FlatTreeError{Node: i, Reason: fmt.Sprintf("id %d, want its index %d", fn.ID, i)}
		case fn.ChildrenOmitted < 0:
			return &FlatTreeError{Node: i, Reason: fmt.Sprintf("children_omitted %d", fn.ChildrenOmitted)}
		case i == 0 && fn.Parent != -1:
			return &FlatTreeError{Node: 0, Reason: fmt.Sprintf("parent %d, want -1 for the top node", fn.Parent)}
		}
		if i > 0 {
			for len(open) > 0 && open[len(open)-1] != fn.Parent {
				open = open[:len(open)-1]
			}
			if len(open) == 0 {
				return &FlatTreeError{Node: i, Reason: fmt.Sprintf("parent %d is not an ancestor of node %d (nodes must be in pre-order)", fn.Parent, i-1)}
			}
		}
		open = append(open, i)
	}
	return nil
}

// MarshalJSON encodes f with one node a line. (json.Marshal compacts it
// onto one line; call MarshalJSON itself to keep the lines.)
func (f FlatTree) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"version":`)
	b.WriteString(strconv.Itoa(f.Version))
	b.WriteString(`,"path":`)
	if err := encodeTo(&b, f.Path); err != nil {
		return nil, err
	}
	if f.Truncated != nil {
		b.WriteString(`,"truncated":`)
		if err := encodeTo(&b, f.Truncated); err != nil {
			return nil, err
		}
	}
	b.WriteString(`,"nodes":[`)
	for i := range f.Nodes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		if err := encodeTo(&b, &f.Nodes[i]); err != nil {
			return nil, err
		}
	}
	b.WriteString("\n]}")
	return b.Bytes(), nil
}

// encodeTo appends the JSON of v to b, without HTML escaping.
func encodeTo(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// MarshalJSON encodes the tree in its flat form (see FlatTree), whole.
func (n Snapshot) MarshalJSON() ([]byte, error) {
	return flatten(&n, TreeLimits{}).MarshalJSON()
}

// UnmarshalJSON decodes the JSON of a FlatTree into the nested tree (see
// FlatTree.Snapshot). From a truncated one it decodes the part it holds and
// returns an error matching ErrTruncatedTree, saying what was cut; decode
// into a FlatTree to see where.
func (n *Snapshot) UnmarshalJSON(data []byte) error {
	var f FlatTree
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	s, err := f.Snapshot()
	if err != nil {
		return err
	}
	*n = s
	if t := f.Truncated; t != nil {
		return fmt.Errorf("%w: %v", ErrTruncatedTree, t)
	}
	return nil
}
