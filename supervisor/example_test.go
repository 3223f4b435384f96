package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/oklog/run"
)

// A flaky worker fails twice, then works. Under the default OneForOne
// strategy the supervisor restarts it in place each time.
func ExampleSupervisor_Run_oneForOne() {
	third := make(chan struct{})
	runs := 0
	flaky := actor.Func(func(ctx context.Context) error {
		runs++
		if runs <= 2 {
			return fmt.Errorf("attempt %d: connection refused", runs)
		}
		close(third) // the third incarnation works
		<-ctx.Done()
		return nil
	})
	sup, err := supervisor.New("root",
		supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: flaky}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()

	<-third
	c := sup.Children()[0]
	fmt.Println(c.Path, "restarts:", c.Restarts, "last error:", c.LastError)
	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// root/flaky restarts: 2 last error: attempt 2: connection refused
	// Run: <nil>
}

// A crash loop deep in a tree exhausts the intensity of its supervisor,
// which escalates to the root; the root gives up too, and its error names
// the leaf where the failure began.
func ExampleSupervisor_Run_nested() {
	leaf := actor.Func(func(context.Context) error { return errors.New("disk on fire") })
	db, _ := supervisor.New("db",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 2, Period: time.Hour}),
		supervisor.WithChildren(supervisor.Child{Name: "pool", Actor: leaf}))
	root, _ := supervisor.New("root",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
		supervisor.WithChildren(supervisor.Child{Name: "db", Actor: db}))

	err := root.Run(context.Background())
	fmt.Println(err)
	var esc *supervisor.EscalationError
	if errors.As(err, &esc) {
		fmt.Println("origin:", esc.Origin)
	}
	// Output:
	// root gave up: 0 restarts in 1m0s, then root/db/pool failed: disk on fire
	// origin: root/db/pool
}

// An actor written for github.com/oklog/run, as an execute and interrupt
// pair, runs under a supervisor through actor.FromRun. The interrupt gets
// the reason the supervisor stopped it.
func ExampleChild_oklogRun() {
	started := make(chan struct{})
	stop := make(chan struct{})
	execute := func() error {
		close(started)
		<-stop
		return nil
	}
	interrupt := func(cause error) {
		fmt.Println("interrupted:", cause)
		close(stop)
	}
	sup, err := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "server", Actor: actor.FromRun(execute, interrupt)}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-started
	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// interrupted: supervisor shutting down
	// Run: <nil>
}

// New checks the whole specification before anything starts; an invalid
// value is a *ConfigError naming the field.
func ExampleNew_invalid() {
	_, err := supervisor.New("root",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: -5, Period: time.Second}))
	var ce *supervisor.ConfigError
	if errors.As(err, &ce) {
		fmt.Println("field:", ce.Field)
		fmt.Println("value:", ce.Value)
	}
	fmt.Println(err)
	// Output:
	// field: Intensity.MaxRestarts
	// value: -5
	// invalid Intensity.MaxRestarts -5: must be >= 0 or Unlimited
}

// A child whose end is the supervisor's: here oklog/run's signal handler.
// When it sees SIGINT or SIGTERM it returns run's signal error, and the
// supervisor stops the other children and returns nil.
func ExampleChild_endsSupervisor() {
	ctx := context.Background()
	metrics := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	execute, interrupt := run.SignalHandler(ctx, syscall.SIGINT, syscall.SIGTERM)
	sup, err := supervisor.New("app",
		supervisor.WithChildren(
			supervisor.Child{Name: "metrics", Actor: metrics},
			supervisor.Child{Name: "signals", Actor: actor.FromRun(execute, interrupt), EndsSupervisor: true},
		),
	)
	if err != nil {
		panic(err)
	}
	_ = sup // sup.Run(ctx) returns nil once a signal arrives
}
