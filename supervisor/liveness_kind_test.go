package supervisor_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A *Supervisor never beats: given as the Actor of a child declared
// KindWorker, with a Liveness, it would be found hung at every deadline
// and its whole subtree restarted. Its liveness is its children's, so the
// Liveness is refused, whatever the Kind says, by New and by Add.
func TestLivenessOnAChildWhoseActorIsASupervisorIsRefusedWhateverItsKind(t *testing.T) {
	spec := func() supervisor.Child {
		return supervisor.Child{Name: "x", Actor: hangNew(t, "sub"), Kind: supervisor.KindWorker,
			Liveness: &supervisor.Liveness{Timeout: time.Second}}
	}
	var ce *supervisor.ConfigError
	if _, err := supervisor.New("root", supervisor.WithChildren(spec())); !errors.As(err, &ce) || ce.Field != "Child[x].Liveness" {
		t.Errorf("New = %v, want a *ConfigError for Child[x].Liveness", err)
	}
	synctest.Test(t, func(t *testing.T) {
		sup := hangNew(t, "root")
		run := supervisortest.Start(t, sup)
		if err := sup.WaitReady(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := sup.Add(spec()); !errors.As(err, &ce) {
			t.Errorf("Add = %v, want a *ConfigError", err)
		}
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}
