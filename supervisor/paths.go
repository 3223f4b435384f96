package supervisor

import (
	"strings"
	"sync"
)

// Paths share their bytes down a tree.
//
// A child's path is its supervisor's path, a separator and its name, kept
// as one string because the supervisor promises it whole: it is the
// child's pprof label (set on every incarnation's goroutine), Event.Path
// and its Snapshot's Path. Made by concatenation, each level of a chain
// would copy every level above it: a 10,000-deep chain would keep 100 MB
// of paths and spend most of its start copying them. Instead, the paths
// of a chain are prefixes of one buffer: a child's path extends its
// supervisor's in place when nothing was written after it yet (the first
// child to claim the room), so that a level adds only its own segment.
// The other children's paths are copies, as any string would be.

// pathBuf holds paths that extend one another: each of them is a prefix
// of the bytes written to b so far, and bytes once written never change
// (strings.Builder never rewrites its bytes, and the strings its String
// returns stay valid when more is written), so that strings over them are
// immutable.
type pathBuf struct {
	mu sync.Mutex
	b  strings.Builder // guarded by mu
}

// childPath returns parent+PathSeparator+name, the path of a child of the
// supervisor whose path is parent, and the buffer that holds it, or nil.
// in is a buffer whose bytes begin with parent (its own path's, see
// run.paths), or nil. sup says whether the child can have children of its
// own (it is a supervisor child): its path then always goes to a buffer
// with room to be extended in turn, doubled when full, so that a chain's
// paths cost amortized O(1) bytes and time a level. A worker's path takes
// the room in in only if it fits without growing the buffer; otherwise it
// is an exact copy, as it always was, so that a worker pays nothing for
// this.
func childPath(parent string, in *pathBuf, name string, sup bool) (string, *pathBuf) {
	n := len(parent) + len(PathSeparator) + len(name)
	if in != nil {
		in.mu.Lock()
		if in.b.Len() == len(parent) && (sup || in.b.Cap() >= n) {
			in.b.WriteString(PathSeparator)
			in.b.WriteString(name)
			p := in.b.String()
			in.mu.Unlock()
			return p, in
		}
		in.mu.Unlock()
	}
	if !sup {
		return parent + PathSeparator + name, nil
	}
	out := new(pathBuf)
	out.b.Grow(2 * n)
	out.b.WriteString(parent)
	out.b.WriteString(PathSeparator)
	out.b.WriteString(name)
	return out.b.String(), out
}
