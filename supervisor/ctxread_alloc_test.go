package supervisor

import (
	"context"
	"testing"
)

// TestReadContextAllocations checks what reading the context given to a
// root Run costs: the goroutine that calls its methods (user code) and one
// record it fills in, no more (a closure over each variable the goroutine
// changed once cost an allocation each).
func TestReadContextAllocations(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := readContext(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Fatalf("readContext allocates %v times, want at most 2 (its record and its goroutine's closure)", allocs)
	}
}
