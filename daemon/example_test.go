package daemon_test

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// api and feed stand for a program's own actors: an HTTP API that reports
// ready once it listens, and a worker that depends on a remote service.
var api, feed actor.Actor = actor.Func(func(ctx context.Context) error {
	actor.Ready(ctx)
	<-ctx.Done()
	return nil
}), actor.Func(func(ctx context.Context) error {
	<-ctx.Done()
	return nil
})

// A program's main: build the tree, then hand it to Main, which runs it as
// the process and exits with its status. This is the README's quick start.
func Example() {
	logger, err := zap.NewProduction()
	if err != nil {
		panic(err)
	}
	root, err := supervisor.New("mydaemon",
		supervisor.WithLogger(logger),
		// On SIGTERM, /readyz fails at once; keep serving 5s while load
		// balancers notice, then stop the children newest-first.
		supervisor.WithDrainDelay(5*time.Second),
		// Caps the whole shutdown, the drain included, a little under
		// daemon's 25s budget (which caps it too): the tree cancels and
		// reports its stuck children itself, with their stacks.
		supervisor.WithShutdownBudget(20*time.Second),
		// Room for the feed's restarts (one every 2s while its upstream
		// fails every other poll); a crash loop without backoff still
		// exceeds it at once.
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 20, Period: 10 * time.Second}),
		supervisor.WithChildren(
			supervisor.Child{Name: "api", Actor: api, WaitReady: true},
			// Polls every second: an outage shorter than a minute is waited
			// out, a longer one gives up after 61-73s (see the README).
			supervisor.Child{Name: "feed", Actor: feed, Backoff: &policy.Backoff{
				Initial: time.Second, Max: 30 * time.Second, Jitter: 0.2,
				ResetAfter: time.Second, MaxAttempts: 6,
			}},
		),
	)
	if err != nil {
		logger.Fatal("invalid tree", zap.Error(err))
	}
	daemon.Main(root,
		daemon.WithLogger(logger),
		daemon.WithHealthAddr(":8081"), // 127.0.0.1:8081; "0.0.0.0:8081" for Kubernetes probes
	)
}

// Under Kubernetes the kubelet probes the pod's address, not loopback:
// name the host. The grace period (terminationGracePeriodSeconds, 30 by
// default) must stay above the shutdown budget.
func ExampleWithHealthAddr() {
	root, err := supervisor.New("mydaemon", supervisor.WithChildren(supervisor.Child{Name: "api", Actor: api}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	daemon.Main(root,
		// /healthz and /readyz for the kubelet on every address; the tree,
		// the page, /events and pprof only on 127.0.0.1:8081.
		daemon.WithHealthAddr("0.0.0.0:8081"),
		daemon.WithShutdownBudget(25*time.Second),
	)
}

// Run is Main without the exit: here with an injected signal channel and a
// notifier that prints the systemd notifications, and sends SIGTERM once
// the tree is ready.
func ExampleRun() {
	root, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "feed", Actor: feed}))
	if err != nil {
		panic(err)
	}
	sigs := make(chan os.Signal, 1)
	notify := daemon.NotifierFunc(func(state string) error {
		fmt.Println(state)
		if state == "READY=1" {
			sigs <- syscall.SIGTERM
		}
		return nil
	})
	code, err := daemon.Run(context.Background(), root,
		daemon.WithSignals(sigs), daemon.WithNotifier(notify), daemon.WithWatchdog(0),
		daemon.WithLogger(zap.NewNop()))
	fmt.Println("exit status", code, err)
	// Output:
	// READY=1
	// STOPPING=1
	// STATUS=stopped cleanly
	// exit status 0 <nil>
}
