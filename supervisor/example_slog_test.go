package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// textLogger logs text to standard output, without the time (so that the
// output of the examples is stable).
func textLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// A supervisor logs its lifecycle entries through log/slog: the same
// messages, levels and fields as through zap.
func ExampleWithSlog() {
	logger := textLogger()
	second := make(chan struct{})
	runs := 0
	worker := actor.Func(func(ctx context.Context) error {
		if runs++; runs == 1 {
			return errors.New("connection refused")
		}
		close(second)
		<-ctx.Done()
		return nil
	})
	sup, err := supervisor.New("root", supervisor.WithSlog(logger),
		supervisor.WithChildren(supervisor.Child{Name: "worker", Actor: worker}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-second
	cancel()
	<-done // Run returns once its loggers have taken every entry
	// Output:
	// level=WARN msg="failed; restarting" supervisor=root path=root/worker child=worker incarnation=1 restarts=1 delay=0s attempt=1 error="connection refused"
	// level=INFO msg="shutting down" supervisor=root
}

// A child logs through SlogLogger: its supervisor's slog logger with the
// child's path.
func ExampleSlogLogger() {
	connected := make(chan struct{})
	worker := actor.Func(func(ctx context.Context) error {
		supervisor.SlogLogger(ctx).Info("connected", "peer", "db:5432")
		close(connected)
		<-ctx.Done()
		return nil
	})
	sup, err := supervisor.New("root", supervisor.WithSlog(textLogger()),
		supervisor.WithChildren(supervisor.Child{Name: "worker", Actor: worker}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-connected
	cancel()
	<-done
	// Output:
	// level=INFO msg=connected path=root/worker peer=db:5432
	// level=INFO msg="shutting down" supervisor=root
}
