//go:build linux

package process_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
)

// A program as a child: its output lines become the child's log entries.
func ExampleProgram() {
	// A slog handler without the time and the pid, so that the output
	// below does not change from run to run.
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "pid" {
			return slog.Attr{}
		}
		return a
	}})
	exited := make(chan struct{})
	sup, err := supervisor.New("root",
		supervisor.WithSlog(slog.New(h)),
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventExited {
				close(exited)
			}
		})),
		supervisor.WithChildren(supervisor.Child{
			Name:    "greeter",
			Actor:   &process.Program{Path: "sh", Args: []string{"-c", "echo hello; echo world >&2"}},
			Restart: policy.Transient, // once: a normal exit is not restarted
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-exited
	cancel()
	fmt.Println("Run:", <-done)
	// Unordered output:
	// level=INFO msg=hello path=root/greeter stream=stdout
	// level=INFO msg=world path=root/greeter stream=stderr
	// level=INFO msg="shutting down" supervisor=root
	// Run: <nil>
}

// A decider, or any code, reads a program's exit status with errors.As.
func ExampleExitError() {
	p := &process.Program{Path: "sh", Args: []string{"-c", "exit 3"}}
	err := p.Run(context.Background())
	var ee *process.ExitError
	if errors.As(err, &ee) {
		fmt.Println("status", ee.Status)
	}
	// Output: status 3
}

// The s6 way to tell readiness: the program writes a newline on a file
// descriptor it is given. The next sibling starts only then.
func ExampleNotifyFD() {
	prog := &process.Program{
		Path:  "sh",
		Args:  []string{"-c", "echo >&3; exec sleep 60"},
		Ready: process.NotifyFD{FD: 3},
	}
	started := make(chan struct{})
	next := actor.Func(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return nil
	})
	sup, err := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: prog, WaitReady: true},
		supervisor.Child{Name: "next", Actor: next},
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-started
	for _, c := range sup.Snapshot().Children {
		fmt.Println(c.Name, c.State, "ready:", c.Ready)
	}
	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// prog running ready: true
	// next running ready: true
	// Run: <nil>
}
