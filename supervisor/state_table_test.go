package supervisor

import (
	"testing"
	"time"
)

// TestStateTable drives every (state, event, target) triple through
// (*child).moveLocked on a bare record: the move happens exactly when the
// table allows it, and a refused move leaves the record unchanged. It also
// checks that every state is reachable from idle through the table.
func TestStateTable(t *testing.T) {
	r := &run{start: time.Unix(1000, 0)}
	t1 := instant(time.Second)
	const before = 5 // a since value no move makes
	after := t1 + 1
	for s := lstate(0); s < numLstates; s++ {
		for ev := event(0); ev < numEvents; ev++ {
			moved := 0
			for next := lstate(0); next < numLstates; next++ {
				c := &child{r: r, st: s, since: before, then: thenStopped, gen: 7}
				ok := c.moveLocked(ev, next, t1)
				want := table[ev].from.has(s) && table[ev].to.has(next)
				if ok != want {
					t.Errorf("%v --%v--> %v: moved=%v, table says %v", s, ev, next, ok, want)
				}
				if ok {
					moved++
					if c.st != next || c.since != after {
						t.Errorf("%v --%v--> %v: record is in %v since %v", s, ev, next, c.st, c.since)
					}
				} else if c.st != s || c.since != before {
					t.Errorf("%v --%v--> %v refused but record changed: %v since %v", s, ev, next, c.st, c.since)
				}
				if c.then != thenStopped || c.gen != 7 {
					t.Errorf("%v --%v--> %v touched other fields: then=%v gen=%d", s, ev, next, c.then, c.gen)
				}
			}
			if table[ev].from.has(s) && moved == 0 {
				t.Errorf("%v accepts %v but leads nowhere", s, ev)
			}
		}
	}
	// Out-of-range events and states are refused.
	c := &child{r: r, st: lsRunning}
	if c.moveLocked(numEvents, lsStopped, t1) || c.st != lsRunning {
		t.Errorf("out-of-range event moved the record to %v", c.st)
	}
	for ev := event(0); ev < numEvents; ev++ {
		c := &child{r: r, st: numLstates}
		if c.moveLocked(ev, lsIdle, t1) {
			t.Errorf("record in an out-of-range state accepted %v", ev)
		}
	}

	// Reachability from idle.
	reached := map[lstate]bool{lsIdle: true}
	queue := []lstate{lsIdle}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for ev := event(0); ev < numEvents; ev++ {
			for next := lstate(0); next < numLstates; next++ {
				c := &child{r: r, st: s}
				if c.moveLocked(ev, next, t1) && !reached[next] {
					reached[next] = true
					queue = append(queue, next)
				}
			}
		}
	}
	for s := lstate(0); s < numLstates; s++ {
		if !reached[s] {
			t.Errorf("state %v is not reachable from idle", s)
		}
	}
	// removed is terminal: no event leaves it.
	for ev := event(0); ev < numEvents; ev++ {
		if table[ev].from.has(lsRemoved) {
			t.Errorf("removed is not terminal: %v leaves it", ev)
		}
	}
	// alive matches the table's doc: exactly the states with a goroutine.
	for s := lstate(0); s < numLstates; s++ {
		want := s == lsStarting || s == lsRunning || s == lsBackoff || s == lsExiting || s == lsStopping || s == lsStuck || s == lsHung
		if s.alive() != want {
			t.Errorf("%v.alive() = %v", s, s.alive())
		}
	}
}

// TestInheritTakesOnlyAFreshRecordToStuck checks the row a new run uses for
// a slot whose goroutine of an earlier run is still stuck: only a record
// that never ran in this run (idle) becomes stuck by it, and unstuck then
// leads where the stopped goroutine's return would.
func TestInheritTakesOnlyAFreshRecordToStuck(t *testing.T) {
	for s := lstate(0); s < numLstates; s++ {
		for next := lstate(0); next < numLstates; next++ {
			if got, want := allowed(s, evInherit, next), s == lsIdle && next == lsStuck; got != want {
				t.Errorf("%v --inherit--> %v allowed=%v, want %v", s, next, got, want)
			}
		}
	}
	for _, then := range []afterStop{thenRestart, thenRemoved, thenStopped} {
		if !allowed(lsStuck, evUnstuck, then.target()) {
			t.Errorf("an inherited slot cannot leave stuck for %v", then.target())
		}
	}
}

// TestHangRowsOfTheStateTable checks the rows a liveness deadline uses: only
// a running incarnation is found hung (a child that starts, waits out a
// backoff, waits for its group or is being stopped is not checked), and a
// hung one leaves by its own return (an exit, then the policy), by a stop
// that takes it over, or as stuck past its shutdown timeout.
func TestHangRowsOfTheStateTable(t *testing.T) {
	for s := lstate(0); s < numLstates; s++ {
		for next := lstate(0); next < numLstates; next++ {
			if got, want := allowed(s, evHang, next), s == lsRunning && next == lsHung; got != want {
				t.Errorf("%v --hang--> %v allowed=%v, want %v", s, next, got, want)
			}
		}
	}
	for ev, next := range map[event]lstate{evExit: lsExiting, evStop: lsStopping, evTimeout: lsStuck} {
		if !allowed(lsHung, ev, next) {
			t.Errorf("hung --%v--> %v is refused", ev, next)
		}
	}
	for _, ev := range []event{evReady, evAgain, evQueue, evEnd, evReturned, evWake, evLaunch, evDrop} {
		for next := lstate(0); next < numLstates; next++ {
			if allowed(lsHung, ev, next) {
				t.Errorf("hung --%v--> %v is allowed", ev, next)
			}
		}
	}
	if !lsHung.alive() {
		t.Error("a hung incarnation's goroutine is not counted alive")
	}
	c := &child{r: &run{}, st: lsHung}
	if got := c.publicLocked(); got != StateHung || got.String() != "hung" {
		t.Errorf("public state of a hung child = %v, want hung", got)
	}
}
