package supervisor_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// TestRootInitLoggerAndPath: in a root's WithInit hook, Path and Logger
// work as they do in a nested supervisor's: the root's path, and its
// logger with a "path" field.
func TestRootInitLoggerAndPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := supervisortest.ObservedLogger(zapcore.InfoLevel)
		var path string
		root := ssNew(t, "root", supervisor.WithLogger(log), supervisor.WithInit(func(ctx context.Context, _ *supervisor.Supervisor) error {
			path = supervisor.Path(ctx)
			supervisor.Logger(ctx).Info("init ran")
			return nil
		}))
		r := supervisortest.Start(t, root)
		synctest.Wait()
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
		if path != "root" {
			t.Errorf("Path in the root's init = %q, want root", path)
		}
		got := logs.FilterMessage("init ran").All()
		if len(got) != 1 || got[0].ContextMap()["path"] != "root" {
			t.Errorf("init's log entries = %v, want one with path=root", got)
		}
	})
}
