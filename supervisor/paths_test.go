package supervisor

import (
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// A chain's paths extend one buffer in place, siblings get paths of their
// own, and no path ever changes once made, whoever extends the buffer
// afterwards.
func TestChildPathsShareTheirChainsBytesAndNeverChange(t *testing.T) {
	type made struct {
		path, want string
	}
	var all []made
	check := func(p, want string) {
		t.Helper()
		if p != want {
			t.Fatalf("path %q, want %q", p, want)
		}
		all = append(all, made{p, want})
	}

	// A chain: each supervisor's first child extends its path in place,
	// in one buffer; its bytes are copied only when the buffer doubles.
	parent, buf := "root", (*pathBuf)(nil)
	var first string
	copies := 0
	for i := range 100 {
		p, b := childPath(parent, buf, "s", true)
		check(p, parent+"/s")
		switch {
		case i == 0:
			first = p
		case b != buf:
			t.Fatalf("level %d: path put in a buffer other than its supervisor's", i)
		case unsafe.StringData(p) != unsafe.StringData(parent):
			copies++
		}
		parent, buf = p, b
	}
	if copies > 6 {
		t.Errorf("a 100-deep chain copied its path %d times; want a copy only when the buffer doubles", copies)
	}
	if !strings.HasPrefix(parent, first) {
		t.Fatalf("%q does not extend %q", parent, first)
	}
	// A worker at the bottom takes the room left, if any, without growing
	// the buffer; a second worker gets a copy.
	w1, _ := childPath(parent, buf, "w1", false)
	check(w1, parent+"/w1")
	w2, b2 := childPath(parent, buf, "w2", false)
	check(w2, parent+"/w2")
	if b2 != nil {
		t.Fatal("a second worker's path was put in a buffer")
	}
	// A sibling supervisor of the bottom's first child gets a buffer of its
	// own, and its children extend that one.
	s2, sb := childPath(parent, buf, "s2", true)
	check(s2, parent+"/s2")
	if sb == buf || sb == nil {
		t.Fatal("a sibling supervisor's path shares its elder's buffer")
	}
	g, gb := childPath(s2, sb, "g", true)
	check(g, s2+"/g")
	if gb != sb {
		t.Fatal("the sibling's child did not extend the sibling's buffer")
	}
	// Concurrent children of one supervisor: one extends, the others copy.
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "c" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			p, _ := childPath(g, gb, name, i%2 == 0)
			mu.Lock()
			defer mu.Unlock()
			check(p, g+"/"+name)
		}()
	}
	wg.Wait()
	for _, m := range all {
		if m.path != m.want {
			t.Fatalf("path changed after it was made: %q, want %q", m.path, m.want)
		}
	}
}
