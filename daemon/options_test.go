package daemon_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// Bad options are a *supervisor.ConfigError naming the option, returned
// with exit status 1 before anything starts.
func TestRunConfigErrors(t *testing.T) {
	root := newRoot(t)
	quiet := daemon.WithLogger(zap.NewNop())
	for _, tc := range []struct {
		name  string
		root  *supervisor.Supervisor
		opts  []daemon.Option
		field string
	}{
		{"nil root", nil, nil, "root"},
		{"negative budget", root, []daemon.Option{daemon.WithShutdownBudget(-time.Second)}, "WithShutdownBudget"},
		{"negative watchdog", root, []daemon.Option{daemon.WithWatchdog(-time.Second)}, "WithWatchdog"},
		{"pprof without server", root, []daemon.Option{daemon.WithPprof(true)}, "WithPprof"},
		{"bare port", root, []daemon.Option{daemon.WithHealthAddr("8080")}, "WithHealthAddr"},
		{"named port", root, []daemon.Option{daemon.WithHealthAddr(":http")}, "WithHealthAddr"},
		{"port too big", root, []daemon.Option{daemon.WithHealthAddr(":65536")}, "WithHealthAddr"},
		{"negative port", root, []daemon.Option{daemon.WithHealthAddr(":-1")}, "WithHealthAddr"},
		{"too many colons", root, []daemon.Option{daemon.WithHealthAddr("a:b:1")}, "WithHealthAddr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]daemon.Option{quiet, daemon.WithWatchdog(0)}, tc.opts...)
			if tc.field == "WithWatchdog" {
				opts = append([]daemon.Option{quiet}, tc.opts...)
			}
			code, err := daemon.Run(context.Background(), tc.root, opts...)
			var ce *supervisor.ConfigError
			if code != daemon.ExitFailure || !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("Run = %d, %v; want 1 and a *ConfigError for %s", code, err, tc.field)
			}
		})
	}
}

func TestRunNilRootIsNotConstructed(t *testing.T) {
	_, err := daemon.Run(context.Background(), nil, daemon.WithLogger(zap.NewNop()))
	if !errors.Is(err, supervisor.ErrNotConstructed) {
		t.Errorf("Run(nil) = %v, want an error matching supervisor.ErrNotConstructed", err)
	}
}

// A malformed $WATCHDOG_USEC is a configuration error; WithWatchdog
// overrides the environment.
func TestRunWatchdogFromEnvironment(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "soon")
	t.Setenv("WATCHDOG_PID", "")
	root := newRoot(t)
	code, err := daemon.Run(context.Background(), root, daemon.WithLogger(zap.NewNop()))
	var ce *supervisor.ConfigError
	if code != daemon.ExitFailure || !errors.As(err, &ce) || ce.Field != "WATCHDOG_USEC" {
		t.Fatalf("Run = %d, %v; want 1 and a *ConfigError for WATCHDOG_USEC", code, err)
	}
	if !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf("error %q does not quote the value", err)
	}
	// With the option the environment is not read; a done context stops
	// the run at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, err = daemon.Run(ctx, root, daemon.WithLogger(zap.NewNop()), daemon.WithWatchdog(0),
		daemon.WithNotifier(daemon.NotifierFunc(func(string) error { return nil })))
	if code != daemon.ExitOK || err != nil {
		t.Fatalf("Run with WithWatchdog(0) = %d, %v; want 0, nil", code, err)
	}
}
