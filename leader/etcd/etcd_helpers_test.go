package etcdleader_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/arbor-go/arbor/leader"
	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// The constants of the tests, with room: TTL - R - margin = 6 - 3.5 - 0.6
// = 1.9s for a stop bound of 1.5s.
const (
	ttl       = 6 * time.Second
	renew     = 3500 * time.Millisecond
	stopBound = 1500 * time.Millisecond
	prefix    = "/arbor-test/elections/sched/"
)

// patience bounds every wait for something the test expects, so that a
// broken build fails rather than hangs; no assertion reads it. It is the
// test binary's -timeout less a grace (testutil.Patience, set by
// TestMain), not a guess at how long a busy machine takes.
var patience time.Duration

// freeURL returns a loopback URL on a port free a moment ago.
func freeURL(t *testing.T) url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// startEtcd runs an etcd server inside the test, on loopback, with its data
// in a temporary directory; it returns the client address.
func startEtcd(t *testing.T) string {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Name = "arbor-test"
	cfg.Dir = t.TempDir()
	cfg.Logger, cfg.ZapLoggerBuilder = "zap", embed.NewZapLoggerBuilder(zap.NewNop())
	cu, pu := freeURL(t), freeURL(t)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(patience):
		t.Fatal("etcd not ready")
	}
	return cu.Host
}

func newClient(t *testing.T, addr string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{addr}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// replica is one replica's tree, with its own client through its own
// proxy.
type replica struct {
	name   string
	proxy  *proxy
	single *leader.Singleton
	sup    *supervisor.Supervisor
	run    *supervisortest.Running
	exits  chan int
}

// starts carries the start of every actor, with its context's term.
type start struct {
	who  string
	term leader.Term
}

func newReplica(t *testing.T, etcdAddr, name string, tl *leadertest.Timeline, starts chan<- start, a func(ctx context.Context) error) *replica {
	t.Helper()
	r := &replica{name: name, proxy: newProxy(t, etcdAddr), exits: make(chan int, 4)}
	cli := newClient(t, r.proxy.addr())
	el, err := etcdleader.New(etcdleader.Config{Client: cli, Prefix: prefix, Value: name, TTL: ttl, RenewDeadline: renew})
	if err != nil {
		t.Fatal(err)
	}
	if a == nil {
		a = func(ctx context.Context) error {
			term, _ := leader.TermFrom(ctx)
			tl.Add(name, true, term.Token(), "")
			starts <- start{name, term}
			<-ctx.Done()
			tl.Add(name, false, term.Token(), fmt.Sprint(context.Cause(ctx)))
			return nil
		}
	}
	r.single, err = leader.New(leader.Config{Election: "sched", Elector: el, Actor: actorFunc(a), StopBound: stopBound,
		Exit: func(code int) { r.exits <- code }})
	if err != nil {
		t.Fatal(err)
	}
	r.sup, err = supervisor.New(name, supervisor.WithChildren(r.single.Child("sched")))
	if err != nil {
		t.Fatal(err)
	}
	r.run = supervisortest.Start(t, r.sup)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := r.run.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *replica) status() string { return r.sup.Snapshot().Children[0].Status }

type actorFunc func(context.Context) error

func (f actorFunc) Run(ctx context.Context) error { return f(ctx) }

// next waits for the next actor start.
func next(t *testing.T, starts <-chan start) start {
	t.Helper()
	select {
	case s := <-starts:
		return s
	case <-time.After(patience):
		t.Fatal("no actor started")
		return start{}
	}
}

// leaseOf returns the lease of the election's leader key.
func leaseOf(t *testing.T, cli *clientv3.Client) clientv3.LeaseID {
	t.Helper()
	resp, err := cli.Get(context.Background(), prefix, clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("no leader key: %v", err)
	}
	return clientv3.LeaseID(resp.Kvs[0].Lease)
}

// handOver checks on tl that the actor of from returned after loss and
// before to's actor started, and logs the times.
func handOver(t *testing.T, tl *leadertest.Timeline, what string, loss time.Time, from, to string) {
	t.Helper()
	if err := tl.Check(); err != nil {
		t.Fatal(err)
	}
	var ret, st time.Time
	for _, e := range tl.Entries() {
		if e.Who == from && !e.Start && !e.At.Before(loss) && ret.IsZero() {
			ret = e.At
		}
		if e.Who == to && e.Start && !e.At.Before(loss) {
			st = e.At
		}
	}
	if ret.IsZero() || st.IsZero() || !ret.Before(st) {
		t.Fatalf("%s: %s's return (%v) not before %s's start (%v):\n%v", what, from, ret, to, st, tl)
	}
	t.Logf("hand-over after %s: %s's actor returned %v after the loss, %s's actor started %v after it",
		what, from, ret.Sub(loss).Round(time.Millisecond), to, st.Sub(loss).Round(time.Millisecond))
}
