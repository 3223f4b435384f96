//go:build linux

package process

import (
	"testing"
	"time"
)

func TestOutputLimiterLetsLinesThroughPerWindowAndCountsTheRest(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := limiter{lines: 2, per: time.Second}
	type step struct {
		at      time.Duration
		ok      bool
		dropped int // reported with this line
	}
	for i, s := range []step{
		{0, true, 0},
		{100 * time.Millisecond, true, 0},
		{200 * time.Millisecond, false, 0},
		{999 * time.Millisecond, false, 0},
		{time.Second, true, 2}, // a new window: the two dropped lines are reported first
		{1500 * time.Millisecond, true, 0},
		{1600 * time.Millisecond, false, 0},
		{5 * time.Second, true, 1},
	} {
		ok, dropped := l.take(t0.Add(s.at))
		if ok != s.ok || dropped != s.dropped {
			t.Fatalf("step %d at %v: take = %v, %d; want %v, %d", i, s.at, ok, dropped, s.ok, s.dropped)
		}
	}
	unlimited := limiter{lines: -1, per: time.Second}
	for range 10 {
		if ok, _ := unlimited.take(t0); !ok {
			t.Fatal("a limit of -1 lines dropped a line")
		}
	}
}
