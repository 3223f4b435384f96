package policy

import (
	"fmt"
	"time"
)

// Unlimited, as Intensity.MaxRestarts, disables the restart intensity limit.
const Unlimited = -1

// MaxRestartsCap is the largest MaxRestarts accepted. A window remembers at
// most that many restart times, so its memory stays bounded.
const MaxRestartsCap = 65536

// DefaultIntensity is 3 restarts in 5 seconds, as in Elixir.
var DefaultIntensity = Intensity{MaxRestarts: 3, Period: 5 * time.Second}

// Intensity bounds how often a supervisor restarts its children: at most
// MaxRestarts restarts within any Period. One more makes the supervisor give
// up and escalate. MaxRestarts = 0 escalates on the first failure;
// MaxRestarts = Unlimited never escalates (Period is then ignored).
type Intensity struct {
	MaxRestarts int
	Period      time.Duration
}

// Validate reports a MaxRestarts below zero (other than Unlimited) or above
// MaxRestartsCap, and a Period that is not positive.
func (i Intensity) Validate() error {
	if i.MaxRestarts == Unlimited {
		return nil
	}
	if i.MaxRestarts < 0 {
		return configErr("Intensity.MaxRestarts", i.MaxRestarts, "must be >= 0 or Unlimited")
	}
	if i.MaxRestarts > MaxRestartsCap {
		return configErr("Intensity.MaxRestarts", i.MaxRestarts, fmt.Sprintf("must be <= %d", MaxRestartsCap))
	}
	if i.Period <= 0 {
		return configErr("Intensity.Period", i.Period, "must be > 0")
	}
	return nil
}

// String formats the intensity as "3 restarts in 5s".
func (i Intensity) String() string {
	if i.MaxRestarts == Unlimited {
		return "unlimited restarts"
	}
	return fmt.Sprintf("%d restarts in %v", i.MaxRestarts, i.Period)
}

// Window is the sliding restart-intensity window of one supervisor. A
// restart recorded at t counts while now-t <= Period (the boundary is
// inclusive). It keeps at most MaxRestarts times, in a ring, so its memory is
// bounded however long the program runs. The times passed to Allow and
// Count must never go backwards (time.Now's monotonic readings do not). The
// zero Window is not usable; make one with NewWindow. A Window is not safe
// for concurrent use.
type Window struct {
	limit  Intensity
	times  []time.Time // ring of the newest restarts, oldest at head
	head   int
	length int
}

// NewWindow returns an empty window for limit, which must be valid.
func NewWindow(limit Intensity) *Window {
	return &Window{limit: limit}
}

// Limit returns the intensity the window enforces.
func (w *Window) Limit() Intensity { return w.limit }

// Count returns how many recorded restarts still count at now.
func (w *Window) Count(now time.Time) int {
	w.expire(now)
	return w.length
}

// Allow records a restart at now and reports true if it keeps the number of
// restarts within the window at or below MaxRestarts. If it would exceed
// MaxRestarts, Allow records nothing and reports false: the supervisor must
// escalate instead of restarting.
func (w *Window) Allow(now time.Time) bool {
	limit := w.limit.MaxRestarts
	if limit == Unlimited {
		return true
	}
	w.expire(now)
	if w.length >= limit {
		return false
	}
	if w.length == len(w.times) { // full but below the limit: grow
		grown := make([]time.Time, min(limit, max(4, 2*len(w.times))))
		for i := range w.length {
			grown[i] = w.times[(w.head+i)%len(w.times)]
		}
		w.times, w.head = grown, 0
	}
	w.times[(w.head+w.length)%len(w.times)] = now
	w.length++
	return true
}

// Reset forgets every recorded restart.
func (w *Window) Reset() {
	w.head, w.length = 0, 0
	clear(w.times)
}

func (w *Window) expire(now time.Time) {
	for w.length > 0 && now.Sub(w.times[w.head]) > w.limit.Period {
		w.times[w.head] = time.Time{}
		w.head = (w.head + 1) % len(w.times)
		w.length--
	}
	if w.length == 0 {
		w.head = 0
	}
}
