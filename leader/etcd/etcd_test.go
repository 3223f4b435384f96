package etcdleader_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/arbor-go/arbor/leader"
	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"github.com/arbor-go/arbor/leader/leadertest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Three candidates against a real etcd. The leader's actor runs, the
// others wait, ready. Then three ways to lose: the leader's lease revoked,
// the next leader's traffic blocked (its keepalives go unanswered), the
// next one's connection cut. Each time the shared timeline shows the old
// actor's return before the new actor's start, and never two actors at
// once; the former leader's late write is refused by etcd itself.
func TestThreeCandidatesHandOverWithoutOverlap(t *testing.T) {
	addr := startEtcd(t)
	admin := newClient(t, addr)
	tl := new(leadertest.Timeline)
	starts := make(chan start, 16)
	rs := map[string]*replica{}
	for _, name := range []string{"a", "b", "c"} {
		rs[name] = newReplica(t, addr, name, tl, starts, nil)
	}
	first := next(t, starts)
	for name, r := range rs {
		if name != first.who {
			if got := r.status(); got != leader.StatusWaiting {
				t.Errorf("%s: status %q, want %q", name, got, leader.StatusWaiting)
			}
			if h := r.sup.Health(); !h.Ready {
				t.Errorf("%s: standby not ready: %+v", name, h)
			}
		}
	}

	// 1. The leader's lease is revoked: old and new leader learn together.
	lease := leaseOf(t, admin)
	loss := time.Now()
	if _, err := admin.Revoke(context.Background(), lease); err != nil {
		t.Fatal(err)
	}
	second := next(t, starts)
	handOver(t, tl, "a revoked lease", loss, first.who, second.who)
	if second.term.Token() <= first.term.Token() {
		t.Errorf("tokens %d then %d", first.term.Token(), second.term.Token())
	}
	// The former leader's late write fails at etcd; the new leader's
	// succeeds.
	put := clientv3.OpPut("/arbor-test/data", "x")
	late := leader.WithTerm(context.Background(), first.term)
	if _, err := etcdleader.Txn(late, admin, put); !errors.Is(err, etcdleader.ErrFenced) {
		t.Errorf("former leader's write: %v, want ErrFenced", err)
	}
	if _, err := etcdleader.Txn(leader.WithTerm(context.Background(), second.term), admin, put); err != nil {
		t.Errorf("leader's write: %v", err)
	}

	// 2. The new leader's traffic is blocked: no keepalive succeeds; it
	// stops at the renew deadline, before its lease expires.
	rs[second.who].proxy.pause()
	loss = time.Now()
	third := next(t, starts)
	handOver(t, tl, "blocked keepalives", loss, second.who, third.who)
	rs[second.who].proxy.resume()

	// 3. The next leader's connection is cut.
	rs[third.who].proxy.cutOff()
	loss = time.Now()
	fourth := next(t, starts)
	handOver(t, tl, "a cut connection", loss, third.who, fourth.who)
	rs[third.who].proxy.restore()

	for _, r := range rs {
		if err := r.run.Stop(); err != nil {
			t.Errorf("%s: %v", r.name, err)
		}
	}
	if err := tl.Check(); err != nil {
		t.Error(err)
	}
	t.Logf("timeline:\n%v", tl)
}

// An actor that ignores the cancellation after its lease was revoked
// makes the Singleton call its exit function, after the stop bound.
func TestActorIgnoringCancellationCallsExit(t *testing.T) {
	addr := startEtcd(t)
	admin := newClient(t, addr)
	started, release := make(chan struct{}), make(chan struct{})
	r := newReplica(t, addr, "a", nil, nil, func(ctx context.Context) error {
		close(started)
		<-release
		return nil
	})
	select {
	case <-started:
	case <-time.After(patience):
		t.Fatal("actor did not start")
	}
	if _, err := admin.Revoke(context.Background(), leaseOf(t, admin)); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-r.exits:
		if code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
	case <-time.After(patience):
		t.Fatal("exit function not called")
	}
	close(release)
	if st := r.single.Stats(); st.FailStops != 1 {
		t.Errorf("stats %+v", st)
	}
}
