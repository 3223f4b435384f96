package supervisor

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestNames checks the name index against a map through random adds and
// removals, with growth, shrinking and many deleted slots.
func TestNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newNames(0)
	want := map[string]*child{}
	for i := range 20000 {
		name := "c" + strconv.Itoa(rng.IntN(500))
		if c := want[name]; c != nil && rng.IntN(2) == 0 {
			if !x.remove(c) {
				t.Fatalf("step %d: remove(%s) found nothing", i, name)
			}
			delete(want, name)
		} else if c == nil {
			c := &child{spec: &Child{Name: name}}
			x.put(c)
			want[name] = c
		}
		if x.n != len(want) {
			t.Fatalf("step %d: %d children, want %d", i, x.n, len(want))
		}
		probe := "c" + strconv.Itoa(rng.IntN(600))
		if got := x.get(probe); got != want[probe] {
			t.Fatalf("step %d: get(%s) = %p, want %p", i, probe, got, want[probe])
		}
	}
	for name, c := range want {
		if x.get(name) != c {
			t.Fatalf("get(%s) lost its child", name)
		}
	}
	if x.remove(&child{spec: &Child{Name: "absent"}}) {
		t.Fatal("remove of an absent child reported true")
	}
	if len(x.slots) > 4096 {
		t.Errorf("table of %d slots for at most 500 names: gone markers are not reclaimed", len(x.slots))
	}
}
