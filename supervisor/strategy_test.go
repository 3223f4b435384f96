package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// rsGroup builds one rsActor per name, all logging to log, and their child
// specs. Children that wait for readiness start one at a time, so their
// "start" lines come in start order.
func rsGroup(log *rsLog, waitReady bool, names ...string) (map[string]*rsActor, []supervisor.Child) {
	actors := make(map[string]*rsActor, len(names))
	specs := make([]supervisor.Child, len(names))
	for i, n := range names {
		a := rsNewActor(log, n)
		a.ready = waitReady
		actors[n] = a
		specs[i] = supervisor.Child{Name: n, Actor: a, WaitReady: waitReady}
	}
	return actors, specs
}

func TestStrategyStopAndStartOrder(t *testing.T) {
	tests := []struct {
		strategy policy.Strategy
		fail     string
		want     []string
	}{
		{policy.OneForOne, "A", []string{"fail A#1", "start A#2"}},
		{policy.OneForOne, "B", []string{"fail B#1", "start B#2"}},
		{policy.OneForOne, "D", []string{"fail D#1", "start D#2"}},
		{policy.OneForAll, "A", []string{"fail A#1", "stop D#1", "stop C#1", "stop B#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
		{policy.OneForAll, "B", []string{"fail B#1", "stop D#1", "stop C#1", "stop A#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
		{policy.OneForAll, "D", []string{"fail D#1", "stop C#1", "stop B#1", "stop A#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
		{policy.RestForOne, "A", []string{"fail A#1", "stop D#1", "stop C#1", "stop B#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
		{policy.RestForOne, "B", []string{"fail B#1", "stop D#1", "stop C#1", "start B#2", "start C#2", "start D#2"}},
		{policy.RestForOne, "D", []string{"fail D#1", "start D#2"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/fail_%s", tt.strategy, tt.fail), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				actors, specs := rsGroup(log, true, "A", "B", "C", "D")
				sup := rsNew(t, "root", supervisor.WithStrategy(tt.strategy), supervisor.WithObserver(rec), supervisor.WithChildren(specs...))
				run := rsStart(t, sup)
				rsEqual(t, "initial starts", log.all(), []string{"start A#1", "start B#1", "start C#1", "start D#1"})

				mark := log.len()
				actors[tt.fail].fail(errRsBoom)
				rsEqual(t, "log after the failure", log.from(mark), tt.want)

				for _, c := range sup.Children() {
					if c.State != supervisor.StateRunning {
						t.Errorf("child %s is %v after the restart, want running", c.Name, c.State)
					}
				}
				for name, a := range actors {
					for n := 1; n < a.incarnations(); n++ {
						if name == tt.fail {
							continue
						}
						if got := a.stopCause(n); !errors.Is(got, supervisor.ErrRestarting) {
							t.Errorf("bystander %s#%d stopped with cause %v, want ErrRestarting", name, n, got)
						}
					}
				}
				if got := rec.count(supervisor.EventRestarting, ""); got != 1 {
					t.Errorf("%d restarting events, want 1 (for %s only)", got, tt.fail)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// The order of events is the stated order even when the children do not
// wait for readiness (their goroutines may run in any order, the
// supervisor's transitions may not).
func TestStrategyEventOrderWithoutReadiness(t *testing.T) {
	type ev struct {
		kind  supervisor.EventKind
		child string
	}
	synctest.Test(t, func(t *testing.T) {
		log := new(rsLog)
		rec := new(rsRecorder)
		actors, specs := rsGroup(log, false, "A", "B", "C", "D")
		sup := rsNew(t, "root", supervisor.WithStrategy(policy.OneForAll), supervisor.WithObserver(rec), supervisor.WithChildren(specs...))
		run := rsStart(t, sup)
		actors["B"].fail(errRsBoom)
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		var got []ev
		for _, e := range rec.Events() {
			if e.Child != "" {
				got = append(got, ev{e.Kind, e.Child})
			}
		}
		want := []ev{
			{supervisor.EventStarted, "A"}, {supervisor.EventStarted, "B"}, {supervisor.EventStarted, "C"}, {supervisor.EventStarted, "D"},
			{supervisor.EventFailed, "B"}, {supervisor.EventRestarting, "B"},
			{supervisor.EventStopped, "D"}, {supervisor.EventStopped, "C"}, {supervisor.EventStopped, "A"},
			{supervisor.EventStarted, "A"}, {supervisor.EventStarted, "B"}, {supervisor.EventStarted, "C"}, {supervisor.EventStarted, "D"},
			// shutdown, newest-first
			{supervisor.EventStopped, "D"}, {supervisor.EventStopped, "C"}, {supervisor.EventStopped, "B"}, {supervisor.EventStopped, "A"},
		}
		rsEqual(t, "events", got, want)
	})
}

func TestStrategyGroupRemovesTemporaryBystanders(t *testing.T) {
	tests := []struct {
		strategy policy.Strategy
		fail     string
		want     []string
		children []string
	}{
		{policy.OneForAll, "A", []string{"fail A#1", "stop D#1", "stop C#1", "stop T#1", "start A#2", "start C#2", "start D#2"}, []string{"A", "C", "D"}},
		{policy.OneForAll, "D", []string{"fail D#1", "stop C#1", "stop T#1", "stop A#1", "start A#2", "start C#2", "start D#2"}, []string{"A", "C", "D"}},
		{policy.RestForOne, "A", []string{"fail A#1", "stop D#1", "stop C#1", "stop T#1", "start A#2", "start C#2", "start D#2"}, []string{"A", "C", "D"}},
		// A temporary child before the failed one is not touched.
		{policy.RestForOne, "C", []string{"fail C#1", "stop D#1", "start C#2", "start D#2"}, []string{"A", "T", "C", "D"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/fail_%s", tt.strategy, tt.fail), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				actors, specs := rsGroup(log, true, "A", "T", "C", "D")
				specs[1].Restart = policy.Temporary
				sup := rsNew(t, "root", supervisor.WithStrategy(tt.strategy), supervisor.WithObserver(rec), supervisor.WithChildren(specs...))
				run := rsStart(t, sup)
				mark := log.len()
				actors[tt.fail].fail(errRsBoom)
				rsEqual(t, "log after the failure", log.from(mark), tt.want)
				rsEqual(t, "children", rsNames(sup.Children()), tt.children)
				wantRemoved := 1
				if len(tt.children) == 4 {
					wantRemoved = 0
				}
				if got := rec.count(supervisor.EventRemoved, "T"); got != wantRemoved {
					t.Errorf("%d removed events for T, want %d", got, wantRemoved)
				}
				if got := actors["T"].incarnations(); got != 1 {
					t.Errorf("T ran %d incarnations, want 1", got)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// "All" includes a non-temporary child that had stopped by itself, such as
// a Transient child that exited normally.
func TestStrategyGroupRestartsStoppedTransient(t *testing.T) {
	tests := []struct {
		strategy  policy.Strategy
		transient string
		fail      string
		want      []string
	}{
		{policy.OneForAll, "A", "C", []string{"fail C#1", "stop D#1", "stop B#1", "start A#2", "start B#2", "start C#2", "start D#2"}},
		{policy.RestForOne, "C", "B", []string{"fail B#1", "stop D#1", "start B#2", "start C#2", "start D#2"}},
		// Before the failed child: RestForOne leaves it stopped.
		{policy.RestForOne, "A", "B", []string{"fail B#1", "stop D#1", "stop C#1", "start B#2", "start C#2", "start D#2"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/transient_%s/fail_%s", tt.strategy, tt.transient, tt.fail), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				actors, specs := rsGroup(log, true, "A", "B", "C", "D")
				for i := range specs {
					if specs[i].Name == tt.transient {
						specs[i].Restart = policy.Transient
					}
				}
				sup := rsNew(t, "root", supervisor.WithStrategy(tt.strategy), supervisor.WithChildren(specs...))
				run := rsStart(t, sup)

				mark := log.len()
				actors[tt.transient].fail(nil)
				rsEqual(t, "log after the normal exit", log.from(mark), []string{"exit " + tt.transient + "#1"})
				if c, ok := rsInfo(sup, tt.transient); !ok || c.State != supervisor.StateStopped {
					t.Fatalf("transient child after a normal exit: %+v (found %v), want stopped", c, ok)
				}

				mark = log.len()
				actors[tt.fail].fail(errRsBoom)
				rsEqual(t, "log after the failure", log.from(mark), tt.want)
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// A start failure during a group restart is a failure of that child:
// OneForAll restarts the whole group again, RestForOne from the child that
// failed to start.
func TestStrategyFailedStartRetriesGroup(t *testing.T) {
	tests := []struct {
		strategy policy.Strategy
		fail     string
		want     []string
	}{
		{policy.OneForAll, "C", []string{"fail C#1", "stop B#1", "stop A#1", "start A#2", "start B#2", "fail B#2",
			"stop A#2", "start A#3", "start B#3", "start C#2"}},
		{policy.RestForOne, "A", []string{"fail A#1", "stop C#1", "stop B#1", "start A#2", "start B#2", "fail B#2",
			"start B#3", "start C#2"}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				actors, specs := rsGroup(log, true, "A", "B", "C")
				actors["B"].onStart = func(_ context.Context, n int) (error, bool) {
					if n == 2 {
						return errRsOther, true // before Ready: a start failure
					}
					return nil, false
				}
				sup := rsNew(t, "root", supervisor.WithStrategy(tt.strategy), supervisor.WithObserver(rec),
					supervisor.WithChildren(specs...))
				run := rsStart(t, sup)
				actors[tt.fail].fail(errRsBoom)
				rsEqual(t, "log", log.from(3), tt.want)
				if got := rec.count(supervisor.EventRestarting, ""); got != 2 {
					t.Errorf("%d restarting events, want 2 (the failure and the failed start)", got)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}
