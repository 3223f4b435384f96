//go:build unix

package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// usr1 receives the SIGUSR1 with which a process test triggers its
// scenario's event.
var usr1 = make(chan os.Signal, 1)

// helperMain runs a scenario of the process tests as a daemon, with
// daemon.Main and its defaults: signals, $NOTIFY_SOCKET, $WATCHDOG_USEC and
// JSON entries on stderr. It never returns.
func helperMain(scenario string) {
	// Subscribe before anything runs, so that SIGUSR1 never kills the
	// process.
	signal.Notify(usr1, syscall.SIGUSR1)
	var opts []daemon.Option
	var spec []supervisor.Child
	rootOpts := []supervisor.Option{}
	never := make(chan struct{}) // what stubborn children wait for
	switch scenario {
	case "notify":
		// A nested supervisor gives up on SIGUSR1; the root restarts it.
		sub, err := supervisor.New("sub", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: failOnUSR1()}))
		must(err)
		spec = []supervisor.Child{{Name: "w", Actor: blocker()}, {Name: "sub", Actor: sub}}
	case "gave-up", "slog-gave-up":
		rootOpts = append(rootOpts, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}))
		if scenario == "slog-gave-up" {
			// The root and the daemon log through slog only: one stream.
			l := slog.New(slog.NewJSONHandler(os.Stderr, nil))
			rootOpts = append(rootOpts, supervisor.WithSlog(l))
			opts = append(opts, daemon.WithSlog(l))
		}
		spec = []supervisor.Child{{Name: "w", Actor: blocker()}, {Name: "leaf", Actor: failOnUSR1()}}
	case "start-failure":
		spec = []supervisor.Child{{Name: "http", WaitReady: true, Actor: actor.Func(func(context.Context) error {
			return errors.New("listen tcp: address already in use")
		})}}
	case "second-signal":
		spec = []supervisor.Child{{Name: "stubborn", Actor: stubborn(never), ShutdownTimeout: policy.Infinity}}
	case "budget":
		spec = []supervisor.Child{{Name: "w", Actor: blocker()},
			{Name: "stubborn", Actor: stubborn(never), ShutdownTimeout: policy.Infinity}}
		opts = append(opts, daemon.WithShutdownBudget(300*time.Millisecond))
	case "stuck":
		spec = []supervisor.Child{{Name: "w", Actor: blocker()},
			{Name: "stubborn", Actor: stubborn(never), ShutdownTimeout: 200 * time.Millisecond}}
	case "netns", "netns-public":
		netnsMain(scenario == "netns-public") // exits
	case "full-socket":
		// The test filled $NOTIFY_SOCKET's queue; "running" on stdout
		// says the signal handlers are installed.
		spec = []supervisor.Child{{Name: "w", Actor: announce(blocker())}}
	case "full-socket-stubborn":
		spec = []supervisor.Child{{Name: "stubborn", Actor: announce(stubborn(never)), ShutdownTimeout: policy.Infinity}}
	default:
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", scenario)
		os.Exit(3)
	}
	root, err := supervisor.New("root", append(rootOpts, supervisor.WithChildren(spec...))...)
	must(err)
	if scenario == "stuck" {
		// On SIGUSR1, remove the stubborn child: it gets stuck, and the
		// process keeps running with a stuck child.
		go func() {
			<-usr1
			root.Remove("stubborn")
		}()
	}
	daemon.Main(root, opts...)
}

// failOnUSR1 fails its first incarnation when SIGUSR1 arrives; the later
// ones run until cancelled.
func failOnUSR1() actor.Actor {
	first := true
	return actor.Func(func(ctx context.Context) error {
		if first {
			first = false
			select {
			case <-usr1:
				return errors.New("boom")
			case <-ctx.Done():
				return nil
			}
		}
		<-ctx.Done()
		return nil
	})
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

// announce writes "running" to stdout when a runs, then runs it: the
// process tests read it to know that Run has subscribed to the signals.
func announce(a actor.Actor) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		fmt.Println("running")
		return a.Run(ctx)
	})
}
