package policy

import (
	"math"
	"time"
)

// Backoff delays restarts of a crashing child. The delay before a restart is
// min(Max, Initial*Multiplier^k), where k counts the child's consecutive
// restarts before this one (so the first delay is Initial), then stretched by
// jitter into [d, d*(1+Jitter)). The count k resets once an incarnation has
// run for ResetAfter. MaxAttempts, when positive, allows that many
// consecutive restarts; the failure after them makes the supervisor escalate,
// so that backoff never hides a crash loop from the tree above.
//
// The zero Backoff is disabled: restarts happen at once, as in OTP, and the
// restart intensity is the only guard.
type Backoff struct {
	Initial     time.Duration // first delay; zero disables backoff
	Max         time.Duration // cap on the delay before jitter; zero means Initial
	Multiplier  float64       // growth per consecutive restart; zero means 2
	Jitter      float64       // extra random fraction, delay in [d, d*(1+Jitter))
	ResetAfter  time.Duration // run time that resets k; zero means Max
	MaxAttempts int           // consecutive failures before escalating; zero means no limit
}

// Enabled reports whether b delays restarts at all.
func (b Backoff) Enabled() bool { return b.Initial > 0 }

// Validate reports negative durations, Max below Initial, a Multiplier below
// 1 (other than the zero default), a negative, NaN or infinite Jitter or
// Multiplier, and a negative MaxAttempts.
func (b Backoff) Validate() error {
	switch {
	case b.Initial < 0:
		return configErr("Backoff.Initial", b.Initial, "must be >= 0")
	case b.Max < 0:
		return configErr("Backoff.Max", b.Max, "must be >= 0")
	case b.Max != 0 && b.Max < b.Initial:
		return configErr("Backoff.Max", b.Max, "must be >= Initial ("+b.Initial.String()+")")
	case math.IsNaN(b.Multiplier) || math.IsInf(b.Multiplier, 0):
		return configErr("Backoff.Multiplier", b.Multiplier, "must be a finite number")
	case b.Multiplier != 0 && b.Multiplier < 1:
		return configErr("Backoff.Multiplier", b.Multiplier, "must be >= 1 (or 0 for the default 2)")
	case math.IsNaN(b.Jitter) || math.IsInf(b.Jitter, 0) || b.Jitter < 0:
		return configErr("Backoff.Jitter", b.Jitter, "must be a finite number >= 0")
	case b.Jitter > 10:
		return configErr("Backoff.Jitter", b.Jitter, "must be <= 10")
	case b.ResetAfter < 0:
		return configErr("Backoff.ResetAfter", b.ResetAfter, "must be >= 0")
	case b.MaxAttempts < 0:
		return configErr("Backoff.MaxAttempts", b.MaxAttempts, "must be >= 0")
	}
	return nil
}

func (b Backoff) max() time.Duration {
	if b.Max == 0 {
		return b.Initial
	}
	return b.Max
}

// Delay returns the delay before a restart when the child has had k
// consecutive restarts before this one, with r in [0, 1) drawn from the
// jitter source (values outside are clamped). It returns 0 when b is
// disabled. The result lies in [Initial, Max*(1+Jitter)).
func (b Backoff) Delay(k int, r float64) time.Duration {
	if !b.Enabled() {
		return 0
	}
	mult := b.Multiplier
	if mult == 0 {
		mult = 2
	}
	limit := b.max()
	// The growth is computed in floating point, but the result is clamped
	// in integers, so rounding can never leave [Initial, Max].
	d := limit
	if f := float64(b.Initial) * math.Pow(mult, float64(max(k, 0))); f < float64(limit) {
		d = max(b.Initial, min(limit, time.Duration(f)))
	}
	if b.Jitter == 0 {
		return d
	}
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = min(r, math.Nextafter(1, 0))
	span := float64(d) * b.Jitter // the jitter adds [0, span)
	x := span * r
	if x >= float64(math.MaxInt64-d) {
		return math.MaxInt64 // saturate; still below d*(1+Jitter)
	}
	extra := time.Duration(x)
	if span < float64(math.MaxInt64) {
		if whole := time.Duration(span); extra >= whole && whole > 0 {
			extra = whole - 1 // keep the upper bound exclusive despite rounding
		}
	}
	return d + extra
}

// ResetsAfter reports whether an incarnation that ran (from ready) for ran
// resets the consecutive-restart count.
func (b Backoff) ResetsAfter(ran time.Duration) bool {
	reset := b.ResetAfter
	if reset == 0 {
		reset = b.max()
	}
	return ran >= reset
}

// Exhausted reports whether a child that has failed failures times in a row
// (this failure included) has used up MaxAttempts restarts, so that the
// supervisor must escalate instead of restarting it.
func (b Backoff) Exhausted(failures int) bool {
	return b.MaxAttempts > 0 && failures > b.MaxAttempts
}
