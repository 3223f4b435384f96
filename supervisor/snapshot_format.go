package supervisor

import (
	"strconv"
	"strings"
)

// String prints the tree as indented text, one line per node, two spaces of
// indentation per level:
//
//	root [supervisor running ready]
//	  http [worker running ready restarts=0]
//	  db [supervisor running ready restarts=0]
//	    pool-3 [worker backoff restarts=4 last_error="dial tcp: refused"]
//
// A line shows the name, kind, state, "ready" when ready, the restarts of a
// node that has run as a child (incarnation above zero) and the last error,
// quoted.
func (n Snapshot) String() string {
	var b strings.Builder
	n.write(&b, 0)
	return strings.TrimSuffix(b.String(), "\n")
}

func (n *Snapshot) write(b *strings.Builder, depth int) {
	for range depth {
		b.WriteString("  ")
	}
	b.WriteString(n.Name)
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
	if n.LastError != "" {
		b.WriteString(" last_error=")
		b.WriteString(strconv.Quote(n.LastError))
	}
	b.WriteString("]\n")
	for i := range n.Children {
		n.Children[i].write(b, depth+1)
	}
}
