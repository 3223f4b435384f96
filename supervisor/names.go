package supervisor

import "hash/maphash"

// names finds a run's children by name. It is an open-addressing hash set
// of child records keyed by their names: 8 bytes a slot, at most three
// quarters full, against about 37 bytes an entry for a map[string]*child,
// which an idle tree keeps for every child. Guarded by s.mu.
type names struct {
	slots []*child // nil: empty; gone: deleted
	used  int      // slots not nil (children and gone markers)
	n     int      // children
	seed  maphash.Seed
}

// gone marks a deleted slot, so that a lookup goes on past it.
var gone = new(child)

func newNames(capacity int) names {
	size := 8
	for size*3 < capacity*4 {
		size *= 2
	}
	return names{slots: make([]*child, size), seed: maphash.MakeSeed()}
}

func (x *names) home(name string) int {
	return int(maphash.String(x.seed, name) & uint64(len(x.slots)-1))
}

// get returns the child named name, or nil.
func (x *names) get(name string) *child {
	for i := x.home(name); ; i = (i + 1) & (len(x.slots) - 1) {
		switch c := x.slots[i]; {
		case c == nil:
			return nil
		case c != gone && c.spec.Name == name:
			return c
		}
	}
}

// put adds c, whose name must not be taken.
func (x *names) put(c *child) {
	if (x.used+1)*4 > len(x.slots)*3 {
		x.resize()
	}
	for i := x.home(c.spec.Name); ; i = (i + 1) & (len(x.slots) - 1) {
		if x.slots[i] == nil {
			x.slots[i] = c
			x.used++
			x.n++
			return
		}
	}
}

// remove drops c, if it is there, and reports whether it was.
func (x *names) remove(c *child) bool {
	for i := x.home(c.spec.Name); ; i = (i + 1) & (len(x.slots) - 1) {
		switch x.slots[i] {
		case nil:
			return false
		case c:
			x.slots[i] = gone
			x.n--
			return true
		}
	}
}

// resize rehashes into a table sized for the children left (gone markers
// are dropped), growing it when they need it.
func (x *names) resize() {
	old := x.slots
	y := newNames(2 * (x.n + 1))
	y.seed = x.seed
	for _, c := range old {
		if c != nil && c != gone {
			y.put(c)
		}
	}
	*x = y
}
