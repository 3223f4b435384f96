package policy_test

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
)

func TestBackoffValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	s := time.Second
	tests := []struct {
		name  string
		b     policy.Backoff
		field string // "" means valid
		value any
	}{
		{"zero", policy.Backoff{}, "", nil},
		{"typical", policy.Backoff{Initial: s, Max: 10 * s, Multiplier: 2, Jitter: 0.2, ResetAfter: time.Minute, MaxAttempts: 5}, "", nil},
		{"max equals initial", policy.Backoff{Initial: s, Max: s}, "", nil},
		{"max zero", policy.Backoff{Initial: s}, "", nil},
		{"disabled with max", policy.Backoff{Max: s}, "", nil},
		{"multiplier 1", policy.Backoff{Initial: s, Multiplier: 1}, "", nil},
		{"multiplier negative zero", policy.Backoff{Initial: s, Multiplier: math.Copysign(0, -1)}, "", nil},
		{"jitter 10", policy.Backoff{Initial: s, Jitter: 10}, "", nil},
		{"infinity", policy.Backoff{Initial: s, Max: policy.Infinity, ResetAfter: policy.Infinity}, "", nil},

		{"negative initial", policy.Backoff{Initial: -1}, "Backoff.Initial", time.Duration(-1)},
		{"negative max", policy.Backoff{Initial: s, Max: -s}, "Backoff.Max", -s},
		{"max below initial", policy.Backoff{Initial: 2 * s, Max: s}, "Backoff.Max", s},
		{"max 1ns below initial", policy.Backoff{Initial: 2 * s, Max: 2*s - 1}, "Backoff.Max", 2*s - 1},
		{"multiplier below 1", policy.Backoff{Initial: s, Multiplier: 0.5}, "Backoff.Multiplier", 0.5},
		{"multiplier just below 1", policy.Backoff{Initial: s, Multiplier: math.Nextafter(1, 0)}, "Backoff.Multiplier", math.Nextafter(1, 0)},
		{"multiplier tiny", policy.Backoff{Initial: s, Multiplier: math.SmallestNonzeroFloat64}, "Backoff.Multiplier", math.SmallestNonzeroFloat64},
		{"multiplier negative", policy.Backoff{Initial: s, Multiplier: -2}, "Backoff.Multiplier", -2.0},
		{"multiplier NaN", policy.Backoff{Initial: s, Multiplier: nan}, "Backoff.Multiplier", nan},
		{"multiplier +Inf", policy.Backoff{Initial: s, Multiplier: inf}, "Backoff.Multiplier", inf},
		{"multiplier -Inf", policy.Backoff{Initial: s, Multiplier: -inf}, "Backoff.Multiplier", -inf},
		{"jitter negative", policy.Backoff{Initial: s, Jitter: -0.1}, "Backoff.Jitter", -0.1},
		{"jitter NaN", policy.Backoff{Initial: s, Jitter: nan}, "Backoff.Jitter", nan},
		{"jitter +Inf", policy.Backoff{Initial: s, Jitter: inf}, "Backoff.Jitter", inf},
		{"jitter -Inf", policy.Backoff{Initial: s, Jitter: -inf}, "Backoff.Jitter", -inf},
		{"jitter above 10", policy.Backoff{Initial: s, Jitter: math.Nextafter(10, 11)}, "Backoff.Jitter", math.Nextafter(10, 11)},
		{"jitter 11", policy.Backoff{Initial: s, Jitter: 11}, "Backoff.Jitter", 11.0},
		{"negative reset after", policy.Backoff{Initial: s, ResetAfter: -1}, "Backoff.ResetAfter", time.Duration(-1)},
		{"negative max attempts", policy.Backoff{Initial: s, MaxAttempts: -1}, "Backoff.MaxAttempts", -1},
		// Validate checks a disabled backoff too.
		{"disabled negative max attempts", policy.Backoff{MaxAttempts: -3}, "Backoff.MaxAttempts", -3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			checkConfigErr(t, err, tt.field, tt.value)
		})
	}
}

func TestBackoffEnabled(t *testing.T) {
	if (policy.Backoff{}).Enabled() {
		t.Error("zero Backoff is enabled")
	}
	if (policy.Backoff{Max: time.Second, Multiplier: 3}).Enabled() {
		t.Error("Backoff without Initial is enabled")
	}
	if !(policy.Backoff{Initial: 1}).Enabled() {
		t.Error("Backoff with Initial 1ns is disabled")
	}
}

func TestBackoffDelaySequence(t *testing.T) {
	s := time.Second
	tests := []struct {
		name string
		b    policy.Backoff
		want []time.Duration // for k = 0, 1, 2, ...
	}{
		{"doubling", policy.Backoff{Initial: s, Multiplier: 2, Max: 10 * s}, []time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}},
		{"zero multiplier means 2", policy.Backoff{Initial: s, Max: 10 * s}, []time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}},
		{"multiplier 1", policy.Backoff{Initial: s, Multiplier: 1, Max: 10 * s}, []time.Duration{s, s, s, s}},
		{"multiplier 1.5", policy.Backoff{Initial: s, Multiplier: 1.5, Max: 3 * s}, []time.Duration{s, 1500 * time.Millisecond, 2250 * time.Millisecond, 3 * s, 3 * s}},
		{"max zero means initial", policy.Backoff{Initial: 3 * s, Multiplier: 2}, []time.Duration{3 * s, 3 * s, 3 * s}},
		{"max equals initial", policy.Backoff{Initial: 3 * s, Max: 3 * s}, []time.Duration{3 * s, 3 * s}},
		{"disabled", policy.Backoff{}, []time.Duration{0, 0, 0}},
		{"disabled with max", policy.Backoff{Max: 10 * s, Multiplier: 2, Jitter: 1}, []time.Duration{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, want := range tt.want {
				if got := tt.b.Delay(k, 0.5*tt.b.Jitter); got != want {
					t.Errorf("Delay(%d) = %v, want %v", k, got, want)
				}
			}
		})
	}
	b := policy.Backoff{Initial: s, Multiplier: 2, Max: 10 * s}
	for _, k := range []int{-1, math.MinInt} {
		if got := b.Delay(k, 0); got != s {
			t.Errorf("Delay(%d) = %v, want Initial", k, got)
		}
	}
	for _, k := range []int{64, 1100, 1 << 40, math.MaxInt} {
		if got := b.Delay(k, 0); got != 10*s {
			t.Errorf("Delay(%d) = %v, want Max", k, got)
		}
	}
	if got := (policy.Backoff{Initial: s, Multiplier: 1e300, Max: policy.Infinity}).Delay(5, 0); got <= 0 {
		t.Errorf("overflowing Delay = %v, want positive", got)
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	b := policy.Backoff{Initial: time.Second, Multiplier: 2, Max: 10 * time.Second, Jitter: 0.5}
	for _, k := range []int{0, 2, 9} {
		d := (policy.Backoff{Initial: b.Initial, Max: b.Max}).Delay(k, 0) // without jitter
		for _, r := range []float64{0, 0.5, 0.999999, 1, 2, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
			got := b.Delay(k, r)
			if got < d || got >= d+d/2 {
				t.Errorf("k %d r %v: Delay = %v, want in [%v, %v)", k, r, got, d, d+d/2)
			}
		}
		if got := b.Delay(k, 0); got != d {
			t.Errorf("k %d: Delay(r=0) = %v, want %v", k, got, d)
		}
		if got := b.Delay(k, -1); got != d {
			t.Errorf("k %d: Delay(r=-1) = %v, want %v (clamped to 0)", k, got, d)
		}
		if got := b.Delay(k, math.NaN()); got != d {
			t.Errorf("k %d: Delay(r=NaN) = %v, want %v", k, got, d)
		}
		if got, want := b.Delay(k, 0.5), d+d/4; got != want {
			t.Errorf("k %d: Delay(r=0.5) = %v, want %v", k, got, want)
		}
		if got, want := b.Delay(k, 2), b.Delay(k, 1); got != want {
			t.Errorf("k %d: Delay(r=2) = %v, Delay(r=1) = %v, want equal (clamped)", k, got, want)
		}
		if got := b.Delay(k, 1); got < d+d/2-time.Microsecond {
			t.Errorf("k %d: Delay(r=1) = %v, want just below %v", k, got, d+d/2)
		}
	}
	// A jitter too small to add a nanosecond keeps the delay at d.
	tiny := policy.Backoff{Initial: 10, Jitter: 0.01}
	for _, r := range []float64{0, 0.5, 1} {
		if got := tiny.Delay(0, r); got != 10 {
			t.Errorf("tiny jitter r %v: Delay = %v, want 10ns", r, got)
		}
	}
}

func TestBackoffResetsAfter(t *testing.T) {
	s := time.Second
	tests := []struct {
		b    policy.Backoff
		ran  time.Duration
		want bool
	}{
		{policy.Backoff{Initial: s, Max: 10 * s}, 10*s - 1, false},
		{policy.Backoff{Initial: s, Max: 10 * s}, 10 * s, true},
		{policy.Backoff{Initial: s, Max: 10 * s}, time.Hour, true},
		{policy.Backoff{Initial: s}, s - 1, false}, // ResetAfter 0 means Max, Max 0 means Initial
		{policy.Backoff{Initial: s}, s, true},
		{policy.Backoff{Initial: s, Max: 10 * s, ResetAfter: time.Minute}, time.Minute - 1, false},
		{policy.Backoff{Initial: s, Max: 10 * s, ResetAfter: time.Minute}, time.Minute, true},
		{policy.Backoff{Initial: s, Max: 10 * s, ResetAfter: 2 * s}, 2 * s, true},
		{policy.Backoff{Initial: s, Max: 10 * s, ResetAfter: policy.Infinity}, 100 * time.Hour, false},
	}
	for _, tt := range tests {
		if got := tt.b.ResetsAfter(tt.ran); got != tt.want {
			t.Errorf("%+v.ResetsAfter(%v) = %v, want %v", tt.b, tt.ran, got, tt.want)
		}
	}
}

func TestBackoffExhausted(t *testing.T) {
	b := policy.Backoff{Initial: time.Second, MaxAttempts: 3}
	for failures, want := range []bool{false, false, false, false, true, true} {
		if got := b.Exhausted(failures); got != want {
			t.Errorf("MaxAttempts 3: Exhausted(%d) = %v, want %v", failures, got, want)
		}
	}
	if !b.Exhausted(math.MaxInt) {
		t.Error("MaxAttempts 3: Exhausted(MaxInt) = false")
	}
	one := policy.Backoff{Initial: time.Second, MaxAttempts: 1}
	if one.Exhausted(1) || !one.Exhausted(2) {
		t.Errorf("MaxAttempts 1: Exhausted(1) = %v, Exhausted(2) = %v, want false, true", one.Exhausted(1), one.Exhausted(2))
	}
	for _, b := range []policy.Backoff{{Initial: time.Second}, {}} {
		for _, n := range []int{0, 1, 4, 1 << 30, math.MaxInt} {
			if b.Exhausted(n) {
				t.Errorf("MaxAttempts 0: Exhausted(%d) = true, want never", n)
			}
		}
	}
}

// checkDelay asserts Delay's documented range: [Initial, Max*(1+Jitter)),
// or [Initial, Max] without jitter, with Max meaning Initial when zero.
// Where float64 cannot hold the values exactly (above 2^52 ns, about 52
// days), it allows a relative error of 2^-48.
func checkDelay(t *testing.T, b policy.Backoff, k int, r float64) {
	t.Helper()
	got := b.Delay(k, r)
	if !b.Enabled() {
		if got != 0 {
			t.Fatalf("%+v disabled: Delay(%d, %v) = %v, want 0", b, k, r, got)
		}
		return
	}
	limit := b.Max
	if limit == 0 {
		limit = b.Initial
	}
	bound := new(big.Float).SetPrec(256).SetInt64(int64(limit))
	bound.Mul(bound, new(big.Float).SetPrec(256).Add(big.NewFloat(1), big.NewFloat(b.Jitter)))
	lo := new(big.Float).SetPrec(256).SetInt64(int64(b.Initial))
	hi := new(big.Float).SetPrec(256).SetInt64(int64(limit))
	if b.Jitter > 0 {
		hi.Set(bound)
	}
	exact := true
	if f, _ := bound.Float64(); f >= 1<<52 {
		exact = false
		tol := new(big.Float).SetPrec(256).Mul(bound, big.NewFloat(0x1p-48))
		tol.Add(tol, big.NewFloat(2))
		lo.Sub(lo, tol)
		hi.Add(hi, tol)
	}
	g := new(big.Float).SetPrec(256).SetInt64(int64(got))
	switch {
	case got < 0:
		t.Fatalf("%+v: Delay(%d, %v) = %v, negative", b, k, r, got)
	case g.Cmp(lo) < 0:
		t.Fatalf("%+v: Delay(%d, %v) = %d, below Initial %d", b, k, r, got, b.Initial)
	case b.Jitter == 0 && g.Cmp(hi) > 0:
		t.Fatalf("%+v: Delay(%d, %v) = %d, above Max %d", b, k, r, got, limit)
	case b.Jitter > 0 && exact && g.Cmp(hi) >= 0, b.Jitter > 0 && g.Cmp(hi) > 0:
		t.Fatalf("%+v: Delay(%d, %v) = %d, not below Max*(1+Jitter) = %s", b, k, r, got, bound.Text('f', 3))
	}
}

func FuzzBackoffDelay(f *testing.F) {
	s := int64(time.Second)
	f.Add(s, 10*s, 2.0, 0.0, 3, 0.5)
	f.Add(s, 10*s, 0.0, 0.5, 10, 0.999999)
	f.Add(int64(1), int64(0), 1.0, 10.0, 0, 1.0)
	f.Add(int64(3), int64(7), 1.5, 0.1, 1, 2.0)
	f.Add(int64(1), int64(math.MaxInt64), 1e300, 10.0, 1<<30, 0.7)
	f.Add(int64(math.MaxInt64/4), int64(math.MaxInt64/2), 2.0, 3.0, 1, math.NaN())
	f.Add(int64(0), int64(5), 2.0, 0.2, 4, 0.2)
	f.Add(int64(-1), int64(5), 2.0, 0.2, 4, 0.2)
	f.Add(int64(999_999_937), int64(999_999_999_989), 1.0000001, 9.999, 77, -3.0)
	f.Fuzz(func(t *testing.T, initial, max int64, mult, jitter float64, k int, r float64) {
		b := policy.Backoff{Initial: time.Duration(initial), Max: time.Duration(max), Multiplier: mult, Jitter: jitter}
		if b.Validate() != nil {
			return
		}
		checkDelay(t, b, k, r)
	})
}

// TestBackoffDelayHugeDurations checks the documented range exactly for
// durations float64 cannot represent (Delay once rounded through float64 and
// returned 2^60 for Initial = Max = 2^60-1).
func TestBackoffDelayHugeDurations(t *testing.T) {
	for _, b := range []policy.Backoff{
		{Initial: 1<<60 - 1},         // Delay(0, 0) = 2^60 > Max
		{Initial: 1<<53 + 1},         // Delay(0, 0) = 2^53 < Initial
		{Initial: 1, Max: 1<<60 - 1}, // Delay(100, 0) = 2^60 > Max
		{Initial: math.MaxInt64},     // Delay(0, 0) = MaxInt64-1 < Initial
	} {
		for _, k := range []int{0, 100} {
			if got, limit := b.Delay(k, 0), max(b.Max, b.Initial); got < b.Initial || got > limit {
				t.Errorf("%+v: Delay(%d, 0) = %d, want in [%d, %d]", b, k, got, b.Initial, limit)
			}
		}
	}
}
