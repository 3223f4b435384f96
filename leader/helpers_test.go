package leader_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// The constants of the tests: those the issue proposes for etcd, with
// room (TTL - R - margin = 1.9s, stop bound 1.5s).
var timing = leader.Timing{TTL: 6 * time.Second, RenewDeadline: 3500 * time.Millisecond}

const (
	stopBound = 1500 * time.Millisecond
	margin    = 600 * time.Millisecond // the default: TTL/10
	startWait = stopBound + margin
)

// replica is one replica's tree: a root with the singleton "sched".
type replica struct {
	name   string
	single *leader.Singleton
	sup    *supervisor.Supervisor
	run    *supervisortest.Running
	logs   *observer.ObservedLogs
	exits  *exits
}

// exits records the calls of Config.Exit.
type exits struct {
	mu    sync.Mutex
	codes []int
}

func (e *exits) exit(code int) {
	e.mu.Lock()
	e.codes = append(e.codes, code)
	e.mu.Unlock()
}

func (e *exits) get() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.codes...)
}

// newReplica makes (without starting) replica name of election el, running
// a; edit tunes the config and child.
func newReplica(t *testing.T, el *leadertest.Election, name string, a actor.Actor, opts ...supervisor.Option) *replica {
	t.Helper()
	return newReplicaChild(t, el, name, a, nil, opts...)
}

// newReplicaChild is newReplica with edit applied to the singleton's child
// spec (if not nil).
func newReplicaChild(t *testing.T, el *leadertest.Election, name string, a actor.Actor, edit func(*supervisor.Child), opts ...supervisor.Option) *replica {
	t.Helper()
	r := &replica{name: name, exits: new(exits)}
	single, err := leader.New(leader.Config{Election: "sched", Elector: el.Candidate(name), Actor: a,
		StopBound: stopBound, Exit: r.exits.exit})
	if err != nil {
		t.Fatalf("leader.New: %v", err)
	}
	r.single = single
	core, logs := observer.New(zap.DebugLevel)
	r.logs = logs
	child := single.Child("sched")
	if edit != nil {
		edit(&child)
	}
	opts = append([]supervisor.Option{supervisor.WithLogger(zap.New(core)), supervisor.WithChildren(child)}, opts...)
	sup, err := supervisor.New(name, opts...)
	if err != nil {
		t.Fatalf("supervisor.New: %v", err)
	}
	r.sup = sup
	return r
}

func (r *replica) start(t *testing.T) *replica {
	r.run = supervisortest.Start(t, r.sup)
	return r
}

// node returns the snapshot of the singleton child.
func (r *replica) node(t *testing.T) supervisor.Snapshot {
	t.Helper()
	for _, c := range r.sup.Snapshot().Children {
		if c.Name == "sched" {
			return c
		}
	}
	t.Fatalf("%s: no child sched", r.name)
	return supervisor.Snapshot{}
}

// messages returns the log messages of the leader package, in order.
func (r *replica) messages() []string {
	var out []string
	for _, e := range r.logs.All() {
		if strings.HasPrefix(e.Message, "leader: ") {
			out = append(out, e.Message)
		}
	}
	return out
}

func checkTimeline(t *testing.T, tl *leadertest.Timeline) {
	t.Helper()
	if err := tl.Check(); err != nil {
		t.Error(err)
	}
}

// wantStandby checks that r waits for leadership, ready, not failing.
func wantStandby(t *testing.T, r *replica) {
	t.Helper()
	n := r.node(t)
	if n.Status != leader.StatusWaiting || n.State != supervisor.StateRunning || !n.Ready || n.Restarts != 0 {
		t.Errorf("%s: sched %v ready=%v restarts=%d status %q; want a ready standby", r.name, n.State, n.Ready, n.Restarts, n.Status)
	}
	if h := r.sup.Health(); !h.Ready {
		t.Errorf("%s: not ready: %+v", r.name, h)
	}
}

var errBoom = errors.New("boom")

// failing returns an actor that records its start and fails after d.
func failing(tl *leadertest.Timeline, who string, d time.Duration) actor.Func {
	return func(ctx context.Context) error {
		tok, _ := leader.TokenFrom(ctx)
		tl.Add(who, true, tok, "")
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			tl.Add(who, false, tok, "failed")
			return errBoom
		case <-ctx.Done():
			tl.Add(who, false, tok, context.Cause(ctx).Error())
			return nil
		}
	}
}
