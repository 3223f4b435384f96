package supervisor_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// A crash-looping worker at the bottom of root > mid > leafsup: leafsup
// escalates, mid restarts it while its intensity allows, then mid escalates
// and root restarts mid, until root gives up. Each level's error is an
// *EscalationError wrapping the one below; the origin stays the worker.
func TestEscalationThroughThreeLevels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errDial := errors.New("dial tcp: connection refused")
		rec := new(rsRecorder)
		worker := rsNewActor(new(rsLog), "worker")
		worker.onStart = rsFailAtOnce(errDial)
		limit := supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: 5 * time.Second})
		leaf := rsNew(t, "leafsup", limit, supervisor.WithChildren(supervisor.Child{Name: "worker", Actor: worker}))
		mid := rsNew(t, "mid", limit, supervisor.WithChildren(supervisor.Child{Name: "leafsup", Actor: leaf}))
		root := rsNew(t, "root", limit, supervisor.WithObserver(rec), supervisor.WithChildren(supervisor.Child{Name: "mid", Actor: mid}))

		err := rsStart(t, root).wait()

		// 2 worker runs per leafsup run, 2 leafsup runs per mid run, 2 mid runs.
		if got := worker.incarnations(); got != 8 {
			t.Errorf("worker ran %d incarnations, want 8", got)
		}
		for _, lvl := range []struct {
			path                 string
			restarting, escalate int
		}{{"root", 1, 1}, {"root/mid", 2, 2}, {"root/mid/leafsup", 4, 4}} {
			var restarting, escalated int
			for _, e := range rec.Events() {
				switch {
				case e.Supervisor != lvl.path:
				case e.Kind == supervisor.EventRestarting:
					restarting++
				case e.Kind == supervisor.EventEscalated:
					escalated++
				}
			}
			if restarting != lvl.restarting || escalated != lvl.escalate {
				t.Errorf("%s: %d restarting and %d escalated events, want %d and %d", lvl.path, restarting, escalated, lvl.restarting, lvl.escalate)
			}
		}

		const origin = "root/mid/leafsup/worker"
		want := []supervisor.EscalationError{
			{Supervisor: "root", Child: "root/mid", Origin: origin, Reason: "intensity", Restarts: 1, Period: 5 * time.Second},
			{Supervisor: "root/mid", Child: "root/mid/leafsup", Origin: origin, Reason: "intensity", Restarts: 1, Period: 5 * time.Second},
			{Supervisor: "root/mid/leafsup", Child: origin, Origin: origin, Reason: "intensity", Restarts: 1, Period: 5 * time.Second},
		}
		cur := err
		for i, w := range want {
			var esc *supervisor.EscalationError
			if !errors.As(cur, &esc) {
				t.Fatalf("level %d: %v (%T) is not an *EscalationError", i, cur, cur)
			}
			got := supervisor.EscalationError{Supervisor: esc.Supervisor, Child: esc.Child, Origin: esc.Origin,
				Reason: esc.Reason, Restarts: esc.Restarts, Period: esc.Period}
			if got != w {
				t.Errorf("level %d: %+v, want %+v", i, got, w)
			}
			cur = esc.Err
		}
		if cur != errDial {
			t.Errorf("innermost error %v, want the worker's", cur)
		}
		if !errors.Is(err, errDial) {
			t.Errorf("errors.Is(root error, worker's sentinel) = false")
		}
		msg := err.Error()
		if want := "root gave up: 1 restart in 5s, then root/mid/leafsup/worker failed again: dial tcp: connection refused"; msg != want {
			t.Errorf("Error() = %q, want %q", msg, want)
		}
		if strings.Contains(msg, "\n") || strings.Count(msg, "connection refused") != 1 || strings.Count(msg, "gave up") != 1 {
			t.Errorf("Error() = %q: want one line, the leaf's text once, no nested text", msg)
		}
	})
}

// A Permanent child that exits nil too often escalates with
// ErrUnexpectedExit, never with a nil cause, also through a parent.
func TestEscalationUnexpectedNormalExits(t *testing.T) {
	for _, strategy := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		t.Run(strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := rsNewActor(new(rsLog), "W")
				w.onStart = rsFailAtOnce(nil)
				sup := rsNew(t, "root", supervisor.WithStrategy(strategy),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}, supervisor.Child{Name: "S", Actor: rsNewActor(new(rsLog), "S")}))
				err := rsStart(t, sup).wait()
				esc := rsEscalation(t, err)
				if esc.Err == nil || !errors.Is(err, supervisor.ErrUnexpectedExit) {
					t.Fatalf("escalation cause %v, want ErrUnexpectedExit", esc.Err)
				}
				if got := w.incarnations(); got != 4 {
					t.Errorf("W ran %d incarnations, want 4 (3 restarts, then escalation)", got)
				}
				if want := "root gave up: 3 restarts in 5s, then root/W failed again: exited normally but is permanent"; err.Error() != want {
					t.Errorf("Error() = %q, want %q", err.Error(), want)
				}
			})
		})
	}
	t.Run("nested", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := rsNewActor(new(rsLog), "W")
			w.onStart = rsFailAtOnce(nil)
			mid := rsNew(t, "mid", supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}))
			root := rsNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
				supervisor.WithChildren(supervisor.Child{Name: "mid", Actor: mid}))
			err := rsStart(t, root).wait()
			esc := rsEscalation(t, err)
			if !errors.Is(err, supervisor.ErrUnexpectedExit) || esc.Origin != "root/mid/W" || esc.Child != "root/mid" {
				t.Errorf("escalation %+v (%v), want origin root/mid/W wrapping ErrUnexpectedExit", esc, err)
			}
			if want := "root gave up: 0 restarts in 1s, then root/mid/W failed: exited normally but is permanent"; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	})
}
