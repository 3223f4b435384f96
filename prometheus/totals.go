package arborprom

import "github.com/arbor-go/arbor/supervisor"

// The fields of supervisor.Counters, as indexes into a totals array, so
// that the memory of a supervisor's counters is a loop rather than fifteen
// lines per operation.
const (
	fStarts = iota
	fRestarts
	fExitsNormal
	fExitsShutdown
	fExitsGroup
	fExitsAbnormal
	fErrors
	fPanics
	fStartTimeouts
	fStartFailures
	fStopTimeouts
	fEscIntensity
	fEscDecider
	fEscBackoff
	fEscStuck
	fHangs
	nFields
)

// totals is supervisor.Counters as an array indexed by the f* constants.
type totals [nFields]uint64

func totalsOf(c supervisor.Counters) totals {
	return totals{
		fStarts: c.Starts, fRestarts: c.Restarts,
		fExitsNormal: c.ExitsNormal, fExitsShutdown: c.ExitsShutdown, fExitsGroup: c.ExitsGroup,
		fExitsAbnormal: c.ExitsAbnormal,
		fErrors:        c.Errors, fPanics: c.Panics, fStartTimeouts: c.StartTimeouts,
		fStartFailures: c.StartFailures, fStopTimeouts: c.StopTimeouts,
		fEscIntensity: c.EscalationsIntensity, fEscDecider: c.EscalationsDecider,
		fEscBackoff: c.EscalationsBackoff, fEscStuck: c.EscalationsStuck,
		fHangs: c.Hangs,
	}
}

// memory is what a Collector remembers of the supervisor at one path, so
// that the counters it exports for that path never go down while the path
// stays in the tree.
//
// A supervisor's own Counters only grow: they are totals over all its runs
// since New. They can go down at a path only when another supervisor takes
// the path (a dynamic child supervisor removed and added again under the
// same name, or made afresh by an init hook in each run of its parent).
// When any field is lower than last seen, the supervisor was replaced: what
// the old one counted moves into offset, and the new one counts on top.
type memory struct {
	raw    totals // the last totals read from the live supervisor
	offset totals // what earlier supervisors at the path had counted
}

// observe records the live totals now read for the path.
func (m *memory) observe(now totals) {
	for i := range now {
		if now[i] < m.raw[i] {
			for j := range m.raw {
				m.offset[j] += m.raw[j]
			}
			break
		}
	}
	m.raw = now
}

// total returns the totals to export: offset plus raw.
func (m *memory) total() totals {
	var t totals
	for i := range t {
		t[i] = m.offset[i] + m.raw[i]
	}
	return t
}
