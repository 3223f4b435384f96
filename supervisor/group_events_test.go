package supervisor_test

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// groupTree is a supervisor "root" with strategy st and the ready children
// a, b and c, observed by rec and logged at Debug to the returned logs.
type groupTree struct {
	sup     *supervisor.Supervisor
	actors  map[string]*rsActor
	rec     *rsRecorder
	logs    *observer.ObservedLogs
	running *rsRunning
}

func startGroupTree(t *testing.T, st policy.Strategy, extra ...supervisor.Child) *groupTree {
	t.Helper()
	log := new(rsLog)
	g := &groupTree{actors: map[string]*rsActor{}, rec: &rsRecorder{}}
	logger, logs := ssLogger(zapcore.DebugLevel)
	g.logs = logs
	var children []supervisor.Child
	for _, name := range []string{"a", "b", "c"} {
		a := rsNewActor(log, name)
		a.ready = true
		g.actors[name] = a
		children = append(children, supervisor.Child{Name: name, Actor: a, WaitReady: true})
	}
	g.sup = rsNew(t, "root", supervisor.WithStrategy(st), supervisor.WithObserver(g.rec),
		supervisor.WithLogger(logger), supervisor.WithChildren(append(children, extra...)...))
	g.running = rsStart(t, g.sup)
	return g
}

// restarts returns the sum of the children's ChildInfo.Restarts.
func (g *groupTree) restarts() int {
	n := 0
	for _, c := range g.sup.Children() {
		n += c.Restarts
	}
	return n
}

// Every restart decided for a child adds one to Counters.Restarts (and so
// to arbor_restarts_total), whether the child failed or was restarted with
// its group: the counter agrees with the sum of ChildInfo.Restarts. The counters span all runs of the supervisor;
// ChildInfo.Restarts counts the current run.
func TestGroupRestartCountsEveryRestartedChild(t *testing.T) {
	for _, tt := range []struct {
		name     string
		st       policy.Strategy
		restarts int // restarts one failure of b makes
	}{
		{"one_for_all", policy.OneForAll, 3},
		{"rest_for_one", policy.RestForOne, 2},
		{"one_for_one", policy.OneForOne, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := startGroupTree(t, tt.st)
				g.actors["b"].fail(errRsBoom)
				if got := g.sup.Counters().Restarts; got != uint64(tt.restarts) {
					t.Errorf("Counters.Restarts = %d after one failure of b, want %d", got, tt.restarts)
				}
				if got := g.restarts(); got != tt.restarts {
					t.Errorf("sum of ChildInfo.Restarts = %d, want %d", got, tt.restarts)
				}
				if got := g.rec.count(supervisor.EventRestarting, ""); got != 1 {
					t.Errorf("%d restarting events, want 1: the failure's", got)
				}
				if err := g.running.stop(); err != nil {
					t.Fatalf("Run = %v", err)
				}
				// A second run: ChildInfo counts it alone, Counters both.
				g.running = rsStart(t, g.sup)
				g.actors["b"].fail(errRsBoom)
				if got := g.sup.Counters().Restarts; got != uint64(2*tt.restarts) {
					t.Errorf("Counters.Restarts = %d after a failure in each of two runs, want %d", got, 2*tt.restarts)
				}
				if got := g.restarts(); got != tt.restarts {
					t.Errorf("second run: sum of ChildInfo.Restarts = %d, want %d (this run only)", got, tt.restarts)
				}
				if err := g.running.stop(); err != nil {
					t.Fatalf("Run = %v", err)
				}
			})
		})
	}
}

// A group restart says so: the stopped and started events of the siblings
// it restarts carry Origin, the path of the child whose failure restarted
// the group, and so do the failed child's restarting and started events. Their exits stay shutdown exits
// for the restart policy but are counted apart, as ExitsGroup; their log
// entries say "with its group" and name the origin. A later shutdown is a
// plain shutdown again.
func TestGroupRestartEventsNameTheOrigin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := startGroupTree(t, policy.RestForOne)
		g.actors["b"].fail(errRsBoom)

		type ev struct {
			kind   supervisor.EventKind
			path   string
			origin string
		}
		var got []ev
		for _, e := range g.rec.Events() {
			if e.Kind == supervisor.EventRestarting || e.Kind == supervisor.EventStopped ||
				(e.Kind == supervisor.EventStarted && e.Incarnation > 1) {
				got = append(got, ev{e.Kind, e.Path, e.Origin})
			}
		}
		want := []ev{
			{supervisor.EventRestarting, "root/b", "root/b"},
			{supervisor.EventStopped, "root/c", "root/b"},
			{supervisor.EventStarted, "root/b", "root/b"},
			{supervisor.EventStarted, "root/c", "root/b"},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events of the group restart:\n got  %v\n want %v", got, want)
		}
		c := g.sup.Counters()
		if c.ExitsShutdown != 0 || c.ExitsGroup != 1 || c.ExitsAbnormal != 1 {
			t.Errorf("exits: shutdown %d, group %d, abnormal %d; want 0, 1, 1", c.ExitsShutdown, c.ExitsGroup, c.ExitsAbnormal)
		}
		for _, want := range []struct{ path, msg string }{
			{"root/b", "failed; restarting with its group"},
			{"root/c", "started"},
			{"root/c", "stopped to restart with its group"},
		} {
			found := false
			for _, e := range g.logs.FilterMessage(want.msg).All() {
				f := ssFields(e)
				found = found || f["path"] == want.path && f["origin"] == "root/b"
			}
			if !found {
				t.Errorf("no entry %q for %s with origin root/b", want.msg, want.path)
			}
		}
		for _, e := range g.logs.FilterMessage("stopped").All() {
			if p := ssFields(e)["path"]; p == "root/c" {
				t.Errorf("root/c's group stop logged as a plain stop: %v", ssFields(e))
			}
		}
		if n := len(g.rec.of(supervisor.EventStopped, "a")); n != 0 {
			t.Errorf("a, before b, was stopped %d times by RestForOne", n)
		}

		// The shutdown that follows is no group restart.
		if err := g.running.stop(); err != nil {
			t.Fatalf("Run = %v", err)
		}
		for _, e := range g.rec.of(supervisor.EventStopped, "") {
			if e.Incarnation == 2 && e.Origin != "" || e.Child == "a" && e.Origin != "" {
				t.Errorf("shutdown's stopped event of %s has Origin %q", e.Path, e.Origin)
			}
		}
		c = g.sup.Counters()
		if c.ExitsShutdown != 3 || c.ExitsGroup != 1 {
			t.Errorf("after shutdown: exits shutdown %d, group %d; want 3, 1", c.ExitsShutdown, c.ExitsGroup)
		}
	})
}

// Under OneForAll every member of the group restart says so: the siblings'
// stops (newest first), a temporary bystander's removal and every start
// name the failed child as Origin, and each sibling's stop counts as
// ExitsGroup.
func TestGroupRestartOriginOnEveryMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tmp := rsNewActor(new(rsLog), "t")
		tmp.ready = true
		g := startGroupTree(t, policy.OneForAll,
			supervisor.Child{Name: "t", Actor: tmp, WaitReady: true, Restart: policy.Temporary})
		g.actors["b"].fail(errRsBoom)
		type ev struct {
			kind   supervisor.EventKind
			path   string
			origin string
		}
		var got []ev
		for _, e := range g.rec.Events() {
			switch e.Kind {
			case supervisor.EventStopped, supervisor.EventRemoved, supervisor.EventRestarting:
			case supervisor.EventStarted:
				if e.Incarnation == 1 {
					continue
				}
			default:
				continue
			}
			got = append(got, ev{e.Kind, e.Path, e.Origin})
		}
		want := []ev{
			{supervisor.EventRestarting, "root/b", "root/b"},
			{supervisor.EventStopped, "root/t", "root/b"},
			{supervisor.EventStopped, "root/c", "root/b"},
			{supervisor.EventStopped, "root/a", "root/b"},
			{supervisor.EventRemoved, "root/t", "root/b"},
			{supervisor.EventStarted, "root/a", "root/b"},
			{supervisor.EventStarted, "root/b", "root/b"},
			{supervisor.EventStarted, "root/c", "root/b"},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events of the group restart:\n got  %v\n want %v", got, want)
		}
		if c := g.sup.Counters(); c.ExitsGroup != 3 || c.ExitsShutdown != 0 || c.Restarts != 3 {
			t.Errorf("counters: exits group %d, shutdown %d, restarts %d; want 3, 0, 3", c.ExitsGroup, c.ExitsShutdown, c.Restarts)
		}
		if err := g.running.stop(); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}
