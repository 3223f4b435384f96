package supervisor

import (
	"strconv"
	"strings"
)

// textIndentCap is the depth past which the text of a tree indents no
// further and shows the depth as a number instead.
const textIndentCap = 32

// String prints the tree as indented text, one line per node, two spaces of
// indentation per level:
//
//	root [supervisor running ready]
//	  http [worker running ready restarts=0]
//	  db [supervisor running ready restarts=0]
//	    pool-3 [worker backoff restarts=4 last_error="dial tcp: refused"]
//	  scheduler [worker running ready restarts=0 status="waiting for leadership"]
//
// A line shows the name, kind, state, "ready" when ready, the restarts of a
// node that has run as a child (incarnation above zero), its status and the
// last error, both quoted (and the name too if it is not printable, in a
// tree made by hand or decoded from JSON). Past depth 32 the indentation stops growing and the line starts
// with its depth in parentheses, as in "(33) name [...]", so that a line's
// length does not grow with its depth.
func (n Snapshot) String() string {
	f := flatten(&n, TreeLimits{})
	return f.String()
}

// String prints f as Snapshot.String prints a tree, with a line for each
// cut: "... 3 more children not shown" below the shown children of a node
// whose children were cut, and, last, one saying how many nodes were left
// out and under which limits, such as
// "(truncated: 4000 nodes omitted; max_nodes 1000)".
func (f FlatTree) String() string {
	var b strings.Builder
	var open []int // the ancestors of the current node, and the node
	closeTop := func() {
		j := open[len(open)-1]
		open = open[:len(open)-1]
		if k := f.Nodes[j].ChildrenOmitted; k > 0 {
			indent(&b, len(open)+1)
			b.WriteString("... ")
			b.WriteString(strconv.Itoa(k))
			if k == 1 {
				b.WriteString(" more child not shown\n")
			} else {
				b.WriteString(" more children not shown\n")
			}
		}
	}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if i > 0 {
			for len(open) > 0 && open[len(open)-1] != n.Parent {
				closeTop()
			}
		}
		indent(&b, len(open))
		n.writeLine(&b)
		open = append(open, i)
	}
	for len(open) > 0 {
		closeTop()
	}
	if t := f.Truncated; t != nil {
		b.WriteString("(truncated: " + t.String() + ")\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// indent writes the indentation of a line at depth: two spaces a level up
// to textIndentCap, then the depth in parentheses.
func indent(b *strings.Builder, depth int) {
	for range min(depth, textIndentCap) {
		b.WriteString("  ")
	}
	if depth > textIndentCap {
		b.WriteByte('(')
		b.WriteString(strconv.Itoa(depth))
		b.WriteString(") ")
	}
}

// writeLine writes the node's line, without indentation.
func (n *FlatNode) writeLine(b *strings.Builder) {
	if printable(n.Name) {
		b.WriteString(n.Name)
	} else {
		// Not a name a supervisor accepts: the tree was made by a user or
		// decoded from JSON. Quoted, so that the node keeps one line.
		b.WriteString(strconv.Quote(n.Name))
	}
	b.WriteString(" [")
	b.WriteString(n.Kind.String())
	b.WriteByte(' ')
	b.WriteString(n.State.String())
	if n.Ready {
		b.WriteString(" ready")
	}
	if n.Incarnation > 0 {
		b.WriteString(" restarts=")
		b.WriteString(strconv.Itoa(n.Restarts))
	}
	if n.Status != "" {
		b.WriteString(" status=")
		b.WriteString(strconv.Quote(n.Status))
	}
	if n.LastError != "" {
		b.WriteString(" last_error=")
		b.WriteString(strconv.Quote(n.LastError))
	}
	b.WriteString("]\n")
}
