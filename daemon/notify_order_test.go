package daemon_test

import (
	"context"
	"os"
	"slices"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// TestReadyIsNeverSentAfterStopping sends the first signal at the moment
// the tree becomes ready, many times over: whichever the loop sees first,
// READY=1 is never sent after STOPPING=1 (it was sent first, or not at
// all: a tree that began to stop is no longer ready).
func TestReadyIsNeverSentAfterStopping(t *testing.T) {
	const rounds = 100
	bad := 0
	for range rounds {
		synctest.Test(t, func(t *testing.T) {
			gate := make(chan struct{})
			root := supervisortest.New(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", WaitReady: true,
				Actor: actor.Func(func(ctx context.Context) error {
					<-gate
					actor.Ready(ctx)
					<-ctx.Done()
					return nil
				})}))
			log, _ := supervisortest.ObservedLogger(zapcore.DebugLevel)
			n := &notes{}
			sigs := make(chan os.Signal, 2)
			done := make(chan struct{})
			go func() {
				defer close(done)
				daemon.Run(t.Context(), root, daemon.WithSignals(sigs), daemon.WithNotifier(n),
					daemon.WithLogger(log), daemon.WithWatchdog(0))
			}()
			synctest.Wait()
			close(gate)
			sigs <- syscall.SIGTERM
			<-done
			got := n.all()
			r, s := slices.Index(got, "READY=1"), slices.Index(got, "STOPPING=1")
			if r >= 0 && r > s {
				bad++
				t.Logf("notifications %q: READY=1 after STOPPING=1", got)
			}
		})
	}
	if bad > 0 {
		t.Errorf("READY=1 was sent after STOPPING=1 in %d of %d rounds", bad, rounds)
	}
}
