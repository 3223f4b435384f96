package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestStoppedWithErrorIsLogged checks the exit-class rule: a child asked to
// stop exits as shutdown whatever it returns, but an error other than
// context.Canceled is logged as a warning, and context.Canceled is not.
func TestStoppedWithErrorIsLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zapcore.DebugLevel)
		sup, err := supervisor.New("root", supervisor.WithLogger(zap.New(core)),
			supervisor.WithChildren(
				supervisor.Child{Name: "clean", Actor: actor.Func(func(ctx context.Context) error {
					<-ctx.Done()
					return ctx.Err()
				})},
				supervisor.Child{Name: "dirty", Actor: actor.Func(func(ctx context.Context) error {
					<-ctx.Done()
					return errors.New("flush failed")
				})},
			))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil: a shutdown exit is not a failure", err)
		}
		warn := logs.FilterMessage("stopped with an error").All()
		if len(warn) != 1 || warn[0].Level != zapcore.WarnLevel || warn[0].ContextMap()["path"] != "root/dirty" {
			t.Fatalf("warnings = %v, want one for root/dirty", warn)
		}
		if n := logs.FilterMessage("stopped").FilterField(zap.String("path", "root/clean")).Len(); n != 1 {
			t.Fatalf("clean stop logged %d times at debug, want 1", n)
		}
	})
}
