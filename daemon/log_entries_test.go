package daemon_test

import (
	"context"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The entries the daemon writes carry neither the caller nor a stack trace
// of its own code, even with a logger that adds them (zap.NewProduction
// adds the caller to every entry and a stack to those at Error; this one
// adds a stack from Info): they would name the daemon's internals, the
// same in every process.
func TestDaemonEntriesCarryNoCallerOrStackOfItsOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zapcore.DebugLevel)
		log := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.InfoLevel))
		root := newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: failAfter(time.Second)}))
		code, err := daemon.Run(context.Background(), root, daemon.WithLogger(log), daemon.WithWatchdog(0),
			daemon.WithNotifier(&notes{}), daemon.WithSignals(make(chan os.Signal)))
		if code != daemon.ExitFailure || err == nil {
			t.Fatalf("Run = %d, %v; want 1 and the escalation", code, err)
		}
		if logs.FilterLevelExact(zapcore.ErrorLevel).Len() == 0 {
			t.Fatalf("no error entry in %v", logs.All())
		}
		for _, e := range logs.All() {
			if e.Caller.Defined || e.Stack != "" {
				t.Errorf("entry %q (%v): caller %v, stack:\n%s", e.Message, e.Level, e.Caller, e.Stack)
			}
		}
	})
}
