package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// refWindow is the naive reference for Window: it keeps every accepted
// restart forever and counts the ones with now-t <= Period.
type refWindow struct {
	limit Intensity
	times []time.Time
}

func (r *refWindow) count(now time.Time) int {
	n := 0
	for _, t := range r.times {
		if now.Sub(t) <= r.limit.Period {
			n++
		}
	}
	return n
}

func (r *refWindow) allow(now time.Time) bool {
	if r.limit.MaxRestarts == Unlimited {
		return true
	}
	if r.count(now) >= r.limit.MaxRestarts {
		return false
	}
	r.times = append(r.times, now)
	return true
}

// checkRing verifies the ring's invariants against the reference at now
// (after an operation that expired at now): it holds exactly the reference's
// times still in the window, oldest at head, never more than MaxRestarts
// slots, and no stale time outside the live part.
func checkRing(t *testing.T, w *Window, r *refWindow, now time.Time) {
	t.Helper()
	if lim := w.limit.MaxRestarts; lim != Unlimited && len(w.times) > lim {
		t.Fatalf("len(times) = %d > MaxRestarts %d", len(w.times), lim)
	}
	var live []time.Time
	for i := range w.length {
		live = append(live, w.times[(w.head+i)%len(w.times)])
	}
	var want []time.Time
	for _, x := range r.times {
		if now.Sub(x) <= r.limit.Period {
			want = append(want, x)
		}
	}
	if !slices.EqualFunc(live, want, time.Time.Equal) {
		t.Fatalf("ring holds %v, want %v", live, want)
	}
	for i := w.length; i < len(w.times); i++ {
		if x := w.times[(w.head+i)%len(w.times)]; !x.IsZero() {
			t.Fatalf("stale time %v kept in free slot", x)
		}
	}
}

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestWindowExactlyMaxRestarts(t *testing.T) {
	for _, max := range []int{1, 2, 3, 4, 5, 8, 9, 100} {
		w := NewWindow(Intensity{MaxRestarts: max, Period: time.Second})
		for i := range max {
			if !w.Allow(t0) {
				t.Fatalf("max %d: restart %d refused", max, i+1)
			}
		}
		if w.Allow(t0) {
			t.Fatalf("max %d: restart %d allowed", max, max+1)
		}
		if got := w.Count(t0); got != max {
			t.Fatalf("max %d: Count = %d after a refusal, want %d (a refusal records nothing)", max, got, max)
		}
		if w.Allow(t0.Add(time.Second)) {
			t.Fatalf("max %d: allowed at exactly Period later", max)
		}
		if !w.Allow(t0.Add(time.Second + 1)) {
			t.Fatalf("max %d: refused 1ns after Period", max)
		}
	}
}

func TestWindowBoundary(t *testing.T) {
	const period = 10 * time.Second
	w := NewWindow(Intensity{MaxRestarts: 2, Period: period})
	if !w.Allow(t0) || !w.Allow(t0.Add(time.Second)) {
		t.Fatal("first two restarts refused")
	}
	// At exactly Period after t0, the restart at t0 still counts.
	if got := w.Count(t0.Add(period)); got != 2 {
		t.Errorf("Count at t0+Period = %d, want 2", got)
	}
	if w.Allow(t0.Add(period)) {
		t.Error("allowed at t0+Period: the boundary must be inclusive")
	}
	// 1ns later it has expired; the one at t0+1s still counts.
	if got := w.Count(t0.Add(period + 1)); got != 1 {
		t.Errorf("Count at t0+Period+1ns = %d, want 1", got)
	}
	if !w.Allow(t0.Add(period + 1)) {
		t.Error("refused at t0+Period+1ns")
	}
	if got := w.Count(t0.Add(period + 1)); got != 2 {
		t.Errorf("Count = %d, want 2", got)
	}
	if got := w.Count(t0.Add(2*period + 2)); got != 0 {
		t.Errorf("Count long after = %d, want 0", got)
	}
}

func TestWindowZeroMaxRestarts(t *testing.T) {
	w := NewWindow(Intensity{MaxRestarts: 0, Period: time.Second})
	for i := range 3 {
		if w.Allow(t0.Add(time.Duration(i) * time.Hour)) {
			t.Fatalf("MaxRestarts 0 allowed restart %d", i+1)
		}
	}
	if w.Count(t0) != 0 || len(w.times) != 0 {
		t.Errorf("Count = %d, len(times) = %d, want 0, 0", w.Count(t0), len(w.times))
	}
}

func TestWindowUnlimited(t *testing.T) {
	w := NewWindow(Intensity{MaxRestarts: Unlimited})
	for i := range 100000 {
		if !w.Allow(t0) {
			t.Fatalf("Unlimited refused restart %d", i+1)
		}
	}
	if w.Count(t0) != 0 || len(w.times) != 0 {
		t.Errorf("Unlimited window records restarts: Count %d, len %d", w.Count(t0), len(w.times))
	}
}

func TestWindowReset(t *testing.T) {
	w := NewWindow(Intensity{MaxRestarts: 3, Period: time.Minute})
	for range 3 {
		w.Allow(t0)
	}
	if w.Allow(t0) {
		t.Fatal("fourth restart allowed")
	}
	w.Reset()
	if got := w.Count(t0); got != 0 {
		t.Fatalf("Count after Reset = %d, want 0", got)
	}
	for _, x := range w.times {
		if !x.IsZero() {
			t.Fatalf("Reset kept %v", x)
		}
	}
	for i := range 3 {
		if !w.Allow(t0) {
			t.Fatalf("restart %d after Reset refused", i+1)
		}
	}
	if w.Allow(t0) {
		t.Fatal("fourth restart after Reset allowed")
	}
	NewWindow(Intensity{MaxRestarts: 3, Period: time.Minute}).Reset() // empty: no panic
}

func TestWindowCount(t *testing.T) {
	w := NewWindow(Intensity{MaxRestarts: 5, Period: 3 * time.Second})
	if got := w.Count(t0); got != 0 {
		t.Fatalf("empty Count = %d", got)
	}
	for i := range 4 {
		w.Allow(t0.Add(time.Duration(i) * time.Second))
	}
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{{3 * time.Second, 4}, {4 * time.Second, 3}, {5*time.Second + 1, 1}, {6 * time.Second, 1}, {6*time.Second + 1, 0}} {
		if got := w.Count(t0.Add(tc.at)); got != tc.want {
			t.Errorf("Count(t0+%v) = %d, want %d", tc.at, got, tc.want)
		}
	}
}

// TestWindowRingGrowsWithOffsetHead grows the ring while its head is not at
// slot 0, the path where the copy must unwrap the ring in order.
func TestWindowRingGrowsWithOffsetHead(t *testing.T) {
	lim := Intensity{MaxRestarts: 5, Period: 10 * time.Second}
	w, r := NewWindow(lim), &refWindow{limit: lim}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	step := func(s int, want bool) {
		t.Helper()
		if got, ref := w.Allow(at(s)), r.allow(at(s)); got != want || ref != want {
			t.Fatalf("Allow(%ds) = %v, reference %v, want %v", s, got, ref, want)
		}
		checkRing(t, w, r, at(s))
	}
	for s := range 4 { // ring of 4, full
		step(s, true)
	}
	if len(w.times) != 4 || w.head != 0 {
		t.Fatalf("len %d head %d, want 4 and 0", len(w.times), w.head)
	}
	step(11, true) // expires 0s: head 1, then fills slot 0
	step(12, true) // expires 1s, fills slot 1: ring full with head 2
	if len(w.times) != 4 || w.head != 2 || w.length != 4 {
		t.Fatalf("len %d head %d length %d, want 4, 2, 4", len(w.times), w.head, w.length)
	}
	step(12, true) // grows to 5 (the cap) with head 2
	if len(w.times) != 5 || w.head != 0 {
		t.Fatalf("after growth len %d head %d, want 5 and 0", len(w.times), w.head)
	}
	step(12, false)
	step(13, true) // expires 2s
	step(13, false)
	step(23, true) // expires 3s, 11s and both 12s: 13s and 23s remain
	for s := 24; s < 60; s += 3 {
		step(s, true)
	}
}

// TestWindowMatchesReference drives Window and the naive reference with
// random sequences whose restarts expire while the ring grows.
func TestWindowMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 500 {
		max := rng.IntN(10)
		if iter%10 == 0 {
			max = Unlimited
		}
		period := time.Duration(1 + rng.IntN(20))
		lim := Intensity{MaxRestarts: max, Period: period}
		w, r := NewWindow(lim), &refWindow{limit: lim}
		now := t0
		for i := range 200 {
			switch rng.IntN(4) {
			case 0: // same instant
			case 1:
				now = now.Add(period)
			default:
				now = now.Add(time.Duration(rng.IntN(int(period) + 2)))
			}
			if rng.IntN(50) == 0 {
				if got, want := w.Count(now), r.count(now); got != want && max != Unlimited {
					t.Fatalf("iter %d step %d: Count = %d, reference %d", iter, i, got, want)
				}
				continue
			}
			if got, want := w.Allow(now), r.allow(now); got != want {
				t.Fatalf("iter %d step %d (%v): Allow = %v, reference %v", iter, i, lim, got, want)
			}
			if max != Unlimited {
				checkRing(t, w, r, now)
			}
		}
	}
}

// TestWindowMemoryBounded makes a million Allow calls spread over time.
func TestWindowMemoryBounded(t *testing.T) {
	for _, max := range []int{1, 5, 100, MaxRestartsCap} {
		w := NewWindow(Intensity{MaxRestarts: max, Period: time.Millisecond})
		rng := rand.New(rand.NewPCG(3, uint64(max)))
		now, allowed, refused := t0, 0, 0
		for range 1_000_000 {
			now = now.Add(time.Duration(rng.IntN(2000)))
			if w.Allow(now) {
				allowed++
			} else {
				refused++
			}
			if len(w.times) > max || cap(w.times) > max {
				t.Fatalf("max %d: len(times) = %d, cap %d", max, len(w.times), cap(w.times))
			}
		}
		if max < 100 && (allowed == 0 || refused == 0) {
			t.Errorf("max %d: allowed %d, refused %d: the sequence did not exercise both", max, allowed, refused)
		}
	}
	// A burst at one instant fills the ring to exactly the cap, no more.
	w := NewWindow(Intensity{MaxRestarts: MaxRestartsCap, Period: time.Hour})
	for range 1_000_000 {
		w.Allow(t0)
	}
	if w.length != MaxRestartsCap || len(w.times) != MaxRestartsCap {
		t.Errorf("length %d len %d, want %d", w.length, len(w.times), MaxRestartsCap)
	}
}

// FuzzWindow checks Window against the reference and the intensity rule:
// inside any window of length Period at most MaxRestarts restarts are
// allowed, and a restart is refused only when MaxRestarts are already there.
// Each byte of steps encodes how far time moves before the next Allow.
func FuzzWindow(f *testing.F) {
	f.Add(3, int64(5*time.Second), []byte{0, 0, 0, 0, 2, 6, 3, 255, 1})
	f.Add(0, int64(1), []byte{0, 1, 2, 3})
	f.Add(5, int64(64), []byte{0, 4, 4, 4, 131, 135, 0, 0, 0, 2, 6, 2, 0, 0})
	f.Add(-1, int64(10), []byte{0, 0, 0, 0, 0})
	f.Add(1, int64(math.MaxInt64), []byte{2, 6, 3, 255, 0})
	f.Add(16, int64(1000), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0})
	f.Add(-7, int64(-3), []byte{})
	f.Fuzz(func(t *testing.T, maxRestarts int, periodNs int64, steps []byte) {
		max := maxRestarts
		if max != Unlimited {
			max = int(uint(maxRestarts) % 17)
		}
		period := time.Duration(periodNs)
		switch {
		case period == math.MinInt64:
			period = math.MaxInt64
		case period < 0:
			period = -period
		case period == 0:
			period = 1
		}
		if len(steps) > 256 {
			steps = steps[:256]
		}
		lim := Intensity{MaxRestarts: max, Period: period}
		if err := lim.Validate(); err != nil {
			t.Fatalf("normalised intensity %v invalid: %v", lim, err)
		}
		w, r := NewWindow(lim), &refWindow{limit: lim}
		var accepted []time.Time
		now := t0
		for i, b := range steps {
			var d time.Duration
			switch b & 3 {
			case 0: // same instant
			case 1:
				d = time.Duration(b >> 2)
			case 2: // exactly the boundary, or 1ns past it
				d = period
				if b&4 != 0 && period < math.MaxInt64 {
					d++
				}
			case 3:
				d = period / 32 * time.Duration(b>>2&31)
			}
			now = now.Add(d)
			got, want := w.Allow(now), r.allow(now)
			if got != want {
				t.Fatalf("step %d at +%v (%v): Allow = %v, reference %v", i, now.Sub(t0), lim, got, want)
			}
			if max == Unlimited {
				continue
			}
			inWindow := 0
			for _, x := range accepted {
				if now.Sub(x) <= period {
					inWindow++
				}
			}
			if got {
				accepted = append(accepted, now)
				if inWindow+1 > max {
					t.Fatalf("step %d: %d restarts allowed within %v", i, inWindow+1, period)
				}
			} else if inWindow != max {
				t.Fatalf("step %d: refused with only %d of %d restarts in the window", i, inWindow, max)
			}
			if c := w.Count(now); c != r.count(now) {
				t.Fatalf("step %d: Count = %d, reference %d", i, c, r.count(now))
			}
			checkRing(t, w, r, now)
		}
	})
}
