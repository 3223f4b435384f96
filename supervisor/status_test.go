package supervisor_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// stFind returns the node at path in snap, or fails the test.
func stFind(t *testing.T, snap supervisor.Snapshot, path string) supervisor.Snapshot {
	t.Helper()
	if snap.Path == path {
		return snap
	}
	for _, c := range snap.Children {
		if c.Path == path || strings.HasPrefix(path, c.Path+supervisor.PathSeparator) {
			return stFind(t, c, path)
		}
	}
	t.Fatalf("no node %s in\n%v", path, snap)
	return supervisor.Snapshot{}
}

// A child's status is shown in the snapshot, its text, its JSON and its
// flat form while the incarnation that set it lives, and not after a
// restart; a sibling that never sets one shows none.
func TestSnapshotShowsTheStatusOfTheCurrentIncarnationOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var runs atomic.Int32
		sched := actor.Func(func(ctx context.Context) error {
			if runs.Add(1) > 1 {
				<-ctx.Done()
				return nil
			}
			actor.SetStatus(ctx, "waiting for leadership")
			<-release
			return errors.New("lost the connection")
		})
		sup := snNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "http", Actor: snServe(0)},
			supervisor.Child{Name: "sched", Actor: sched},
		))
		supervisortest.Start(t, sup)
		synctest.Wait()

		snap := sup.Snapshot()
		if got := stFind(t, snap, "root/sched").Status; got != "waiting for leadership" {
			t.Errorf("Status = %q, want the text set", got)
		}
		if got := stFind(t, snap, "root/http").Status; got != "" {
			t.Errorf("Status of a child that set none = %q", got)
		}
		if text := snap.String(); !strings.Contains(text, `sched [worker running ready restarts=0 status="waiting for leadership"]`) {
			t.Errorf("text of the tree lacks the status:\n%s", text)
		}
		js, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(js), `"status":`); n != 1 || !strings.Contains(string(js), `"status":"waiting for leadership"`) {
			t.Errorf("JSON has %d status fields, want the one set:\n%s", n, js)
		}
		var back supervisor.Snapshot
		if err := json.Unmarshal(js, &back); err != nil || !reflect.DeepEqual(back, snap) {
			t.Errorf("JSON round trip: %v\n got  %+v\n want %+v", err, back, snap)
		}

		close(release)
		synctest.Wait()
		n := stFind(t, sup.Snapshot(), "root/sched")
		if n.Incarnation != 2 || n.Status != "" {
			t.Errorf("after a restart: incarnation %d, Status %q; want 2 and no status", n.Incarnation, n.Status)
		}
	})
}

// A text set with the context of an incarnation that was asked to stop
// changes nothing: the stopping child keeps the text it had, and the next
// incarnation starts without one. An empty text clears the status.
func TestStatusSetAfterTheStopRequestIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		proceed := make(chan struct{})
		var runs atomic.Int32
		worker := actor.Func(func(ctx context.Context) error {
			if runs.Add(1) > 1 {
				actor.SetStatus(ctx, "second")
				actor.SetStatus(ctx, "")
				<-ctx.Done()
				return nil
			}
			actor.SetStatus(ctx, "draining")
			<-ctx.Done()
			actor.SetStatus(ctx, "late")
			<-proceed
			return nil
		})
		sup := snNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: worker, ShutdownTimeout: time.Minute},
		))
		supervisortest.Start(t, sup)
		synctest.Wait()
		restarted := make(chan error, 1)
		go func() { restarted <- sup.Restart("w") }()
		synctest.Wait()
		n := stFind(t, sup.Snapshot(), "root/w")
		if n.State != supervisor.StateRestarting && n.State != supervisor.StateStopping || n.Status != "draining" {
			t.Errorf("while stopping: state %v, Status %q; want the text set before the stop", n.State, n.Status)
		}
		close(proceed)
		if err := <-restarted; err != nil {
			t.Fatalf("Restart: %v", err)
		}
		synctest.Wait()
		if n := stFind(t, sup.Snapshot(), "root/w"); n.Incarnation != 2 || n.Status != "" {
			t.Errorf("after the restart: incarnation %d, Status %q; want 2 and the status cleared", n.Incarnation, n.Status)
		}
	})
}

// A worker of a child supervisor reports to that supervisor: the status
// shows on the worker's node, not on the child supervisor's.
func TestStatusReachesTheNearestSupervisor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := snNew(t, "jobs", supervisor.WithChildren(supervisor.Child{Name: "compact",
			Actor: actor.Func(func(ctx context.Context) error {
				actor.SetStatus(ctx, "standby")
				<-ctx.Done()
				return nil
			})}))
		sup := snNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "jobs", Actor: inner}))
		supervisortest.Start(t, sup)
		synctest.Wait()
		snap := sup.Snapshot()
		if got := stFind(t, snap, "root/jobs").Status; got != "" {
			t.Errorf("child supervisor's Status = %q, want none", got)
		}
		if got := stFind(t, snap, "root/jobs/compact").Status; got != "standby" {
			t.Errorf("worker's Status = %q, want %q", got, "standby")
		}
	})
}

// Each change of a child's status text is an EventStatus carrying the
// text, seen by observers and logged at Debug; the same text again is
// not.
func TestStatusChangesAreEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		logger, logs := supervisortest.ObservedLogger(zapcore.DebugLevel)
		worker := actor.Func(func(ctx context.Context) error {
			actor.SetStatus(ctx, "waiting for leadership")
			actor.SetStatus(ctx, "waiting for leadership")
			actor.SetStatus(ctx, "leader (token 7)")
			<-ctx.Done()
			return nil
		})
		sup := snNew(t, "root", supervisor.WithObserver(rec), supervisor.WithLogger(logger),
			supervisor.WithChildren(supervisor.Child{Name: "sched", Actor: worker}))
		supervisortest.Start(t, sup)
		synctest.Wait()
		var got []string
		for _, e := range rec.Events() {
			if e.Kind == supervisor.EventStatus {
				got = append(got, e.Path+": "+e.Status)
			}
		}
		if want := []string{"root/sched: waiting for leadership", "root/sched: leader (token 7)"}; !reflect.DeepEqual(got, want) {
			t.Errorf("status events %q, want %q", got, want)
		}
		var logged []string
		for _, e := range logs.FilterMessage("status").All() {
			if e.Level == zapcore.DebugLevel {
				logged = append(logged, e.ContextMap()["status"].(string))
			}
		}
		if want := []string{"waiting for leadership", "leader (token 7)"}; !reflect.DeepEqual(logged, want) {
			t.Errorf("logged %q, want %q", logged, want)
		}
		if supervisor.EventStatus.String() != "status" {
			t.Errorf("name %q", supervisor.EventStatus)
		}
	})
}
