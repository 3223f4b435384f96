package arborprom

import (
	"testing"

	"github.com/arbor-go/arbor/supervisor"
)

// The totals of a path never go down: a supervisor that replaced another
// (some count lower than last seen) counts on top of what the old one
// counted.
func TestMemoryObserve(t *testing.T) {
	var m memory
	steps := []struct {
		now  supervisor.Counters
		want supervisor.Counters
	}{
		{supervisor.Counters{Starts: 2, Restarts: 1}, supervisor.Counters{Starts: 2, Restarts: 1}},
		{supervisor.Counters{Starts: 3, Restarts: 1}, supervisor.Counters{Starts: 3, Restarts: 1}},
		// Replaced: Starts went down, so everything moves to the offset.
		{supervisor.Counters{Starts: 1}, supervisor.Counters{Starts: 4, Restarts: 1}},
		{supervisor.Counters{Starts: 2, Panics: 1}, supervisor.Counters{Starts: 5, Restarts: 1, Panics: 1}},
		// Replaced again, by one that only escalated: one field down is enough.
		{supervisor.Counters{Starts: 2, EscalationsStuck: 1}, supervisor.Counters{Starts: 7, Restarts: 1, Panics: 1, EscalationsStuck: 1}},
	}
	for i, s := range steps {
		m.observe(totalsOf(s.now))
		if got := m.total(); got != totalsOf(s.want) {
			t.Errorf("step %d: totals %v, want %v", i, got, totalsOf(s.want))
		}
	}
}

// totalsOf maps every field of supervisor.Counters, each to its own index.
func TestTotalsOfEveryField(t *testing.T) {
	c := supervisor.Counters{
		Starts: 1, Restarts: 2, ExitsNormal: 3, ExitsShutdown: 4, ExitsGroup: 5, ExitsAbnormal: 6,
		Errors: 7, Panics: 8, StartTimeouts: 9, StartFailures: 10, StopTimeouts: 11,
		EscalationsIntensity: 12, EscalationsDecider: 13, EscalationsBackoff: 14, EscalationsStuck: 15,
		Hangs: 16,
	}
	got := totalsOf(c)
	for i, v := range got {
		if v != uint64(i+1) {
			t.Errorf("totals[%d] = %d, want %d", i, v, i+1)
		}
	}
}
