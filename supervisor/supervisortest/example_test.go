package supervisortest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// Record the events of a tree and wait for the ones that matter.
func ExampleRecorder() {
	rec := supervisortest.NewRecorder()
	sup, err := supervisor.New("root", supervisor.WithObserver(rec), supervisor.WithChildren(
		supervisor.Child{Name: "db", Actor: supervisortest.FailN("db", nil, 2, errors.New("refused"))},
	))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()

	// The third incarnation is the first that does not fail.
	if err := rec.WaitKind(context.Background(), supervisor.EventStarted, "root/db", 3); err != nil {
		panic(err)
	}
	cancel()
	fmt.Println("Run:", <-done) // Run delivers every event before it returns
	for _, line := range rec.Kinds() {
		fmt.Println(line)
	}
	// Output:
	// Run: <nil>
	// started root/db
	// failed root/db
	// restarting root/db
	// started root/db
	// failed root/db
	// restarting root/db
	// started root/db
	// shutdown root
	// stopped root/db
}

// A Script plays one Step per incarnation and logs every start and stop.
func ExampleScript() {
	log := supervisortest.NewLog()
	db := &supervisortest.Script{Name: "db", Log: log, Steps: []supervisortest.Step{
		{Err: errors.New("refused"), RunFor: supervisortest.AtOnce},
		{Panic: "corrupt page", RunFor: supervisortest.AtOnce},
	}} // later incarnations: the zero Step, ready at once, running until stopped
	rec := supervisortest.NewRecorder()
	sup, err := supervisor.New("root", supervisor.WithObserver(rec), supervisor.WithChildren(
		supervisor.Child{Name: "db", Actor: db},
	))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	if err := rec.WaitKind(context.Background(), supervisor.EventStarted, "root/db", 3); err != nil {
		panic(err)
	}
	cancel()
	fmt.Println("Run:", <-done)
	for _, line := range log.Entries() {
		fmt.Println(line)
	}
	fmt.Println("incarnations:", db.Starts(), "at most live at once:", db.MaxLive())
	// Output:
	// Run: <nil>
	// start db#1
	// stop db#1 err=refused
	// start db#2
	// stop db#2 panic
	// start db#3
	// stop db#3
	// incarnations: 3 at most live at once: 1
}

func ExampleSubsequence() {
	got := []string{"started root/db", "started root/web", "stopped root/web", "stopped root/db"}
	fmt.Println(supervisortest.Subsequence(got, []string{"started root/db", "stopped root/db"}))
	fmt.Println(supervisortest.Subsequence(got, []string{"stopped root/db", "stopped root/web"}))
	// Output:
	// true
	// false
}

// TestInsideSynctest is the pattern the README shows: a tree tested inside
// a synctest bubble, on virtual time, with Start, a Recorder and Scripts.
func TestInsideSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		flaky := supervisortest.FailN("flaky", nil, 2, errors.New("not yet"))
		root := supervisortest.New(t, "root",
			supervisor.WithObserver(rec),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: flaky}),
		)
		run := supervisortest.Start(t, root) // stopped by t.Cleanup if the test fails

		time.Sleep(time.Minute) // virtual: both 1s backoffs elapse at once
		synctest.Wait()         // every goroutine of the tree is blocked
		if got := flaky.Starts(); got != 3 {
			t.Fatalf("started %d times, want 3", got)
		}
		if err := run.Stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		rec.AssertOrder(t,
			"failed root/flaky", "restarting root/flaky",
			"failed root/flaky", "restarting root/flaky",
			"started root/flaky", "stopped root/flaky")
	})
}
