package etcdleader_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"github.com/arbor-go/arbor/supervisor"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Two replicas of one tree against one etcd (embedded here; a cluster in
// production). Both run "http"; only the leader runs "scheduler", and the
// other shows it waiting. When the leader's process stops, it resigns
// after its scheduler returned, and the other replica's scheduler starts.
func Example_twoReplicas() {
	endpoint, stopEtcd := exampleEtcd()
	defer stopEtcd()

	scheduling := make(chan string)
	replica := func(name string) (*supervisor.Supervisor, *clientv3.Client) {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			panic(err)
		}
		elector, err := etcdleader.New(etcdleader.Config{
			Client: cli, Prefix: "/myapp/elections/scheduler/", Value: name,
			TTL: 6 * time.Second, RenewDeadline: 3500 * time.Millisecond,
		})
		if err != nil {
			panic(err)
		}
		scheduler := actor.Func(func(ctx context.Context) error {
			scheduling <- name
			<-ctx.Done()
			return nil
		})
		single, err := leader.New(leader.Config{Election: "scheduler", Elector: elector, Actor: scheduler,
			StopBound: 1500 * time.Millisecond})
		if err != nil {
			panic(err)
		}
		http := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		root, err := supervisor.New(name, supervisor.WithChildren(
			supervisor.Child{Name: "http", Actor: http}, // on every replica
			single.Child("scheduler"),                   // on one at a time
		))
		if err != nil {
			panic(err)
		}
		return root, cli
	}
	run := func(root *supervisor.Supervisor) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { root.Run(ctx); close(done) }()
		if err := root.WaitReady(context.Background()); err != nil {
			panic(err)
		}
		return func() { cancel(); <-done }
	}

	one, cli1 := replica("one")
	defer cli1.Close()
	stopOne := run(one)
	fmt.Println("scheduler runs on", <-scheduling)

	two, cli2 := replica("two")
	defer cli2.Close()
	stopTwo := run(two)
	fmt.Println(strings.Join(strings.Split(two.Snapshot().String(), "\n")[1:], "\n"))

	stopOne() // resigns once one's scheduler returned
	fmt.Println("scheduler runs on", <-scheduling)
	stopTwo()
	// Output:
	// scheduler runs on one
	//   http [worker running ready restarts=0]
	//   scheduler [worker running ready restarts=0 status="waiting for leadership"]
	// scheduler runs on two
}

// exampleEtcd starts an etcd server on loopback, with its data in a
// temporary directory.
func exampleEtcd() (endpoint string, stop func()) {
	dir, err := os.MkdirTemp("", "etcd-example")
	if err != nil {
		panic(err)
	}
	free := func() url.URL {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		defer ln.Close()
		return url.URL{Scheme: "http", Host: ln.Addr().String()}
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "example", dir
	cfg.Logger, cfg.ZapLoggerBuilder = "zap", embed.NewZapLoggerBuilder(zap.NewNop())
	cu, pu := free(), free()
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		panic(err)
	}
	<-e.Server.ReadyNotify()
	return cu.Host, func() {
		e.Close()
		os.RemoveAll(dir)
	}
}
