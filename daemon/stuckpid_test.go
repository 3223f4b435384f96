package daemon_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// A stuck child that runs a program (it recorded the program's pid with
// supervisor.SetPID, as package process does): the final entry's stuck
// report names the pid.
func TestRunStuckReportNamesTheProgramsPID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		prog := actor.Func(func(ctx context.Context) error {
			supervisor.SetPID(ctx, 4242)
			<-release
			return nil
		})
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "prog", Actor: prog, ShutdownTimeout: time.Second}))
		h := start(t.Context(), root)
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		time.Sleep(time.Second)
		synctest.Wait()
		h.result(t)
		e := h.logs.FilterMessage("stopped with an error").All()
		if len(e) != 1 {
			t.Fatalf("%d final entries, want 1", len(e))
		}
		stuck, _ := e[0].ContextMap()["stuck"].([]any)
		if len(stuck) != 1 || fmt.Sprint(stuck[0].(map[string]any)["pid"]) != "4242" {
			t.Errorf("stuck report %v: want root/prog with pid 4242", stuck)
		}
		close(release)
	})
}
