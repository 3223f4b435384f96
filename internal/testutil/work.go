package testutil

import "runtime"

// Work is what a piece of code allocated: a count of the work it did that,
// unlike its duration, does not depend on how busy the machine is.
type Work struct {
	Mallocs uint64 // heap objects allocated
	Bytes   uint64 // heap bytes allocated
}

// Per returns w divided by n (n > 0): the work for each of n items, to
// compare sizes of one problem (a linear cost gives the same Per at every
// size).
func (w Work) Per(n int) PerItem {
	return PerItem{Mallocs: float64(w.Mallocs) / float64(n), Bytes: float64(w.Bytes) / float64(n)}
}

// PerItem is Work per item.
type PerItem struct {
	Mallocs float64
	Bytes   float64
}

// CountWork runs f and returns what the whole process allocated meanwhile.
// Run it where nothing else of the test binary allocates much (inside a
// synctest bubble the bubble's goroutines are all the test's own).
func CountWork(f func()) Work {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return Work{Mallocs: after.Mallocs - before.Mallocs, Bytes: after.TotalAlloc - before.TotalAlloc}
}

// Linear reports whether the work per item at the larger size is at most
// slack times that at the smaller size, plus a few allocations and bytes
// per item of noise: what a cost linear in the number of items gives. A
// quadratic cost grows the work per item with the size (by 4 when the
// size is 4 times larger) and fails it.
func Linear(small, large PerItem, slack float64) bool {
	return large.Mallocs <= slack*small.Mallocs+2 && large.Bytes <= slack*small.Bytes+256
}
