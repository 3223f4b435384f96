package supervisor_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// goexitText is an error whose Error method calls runtime.Goexit: user code
// the supervisor must survive wherever it reads an error's text.
type goexitText struct{}

func (goexitText) Error() string { runtime.Goexit(); return "unreachable" }

// A probe call that returns an error whose Error method calls
// runtime.Goexit has returned: the call is a failed one (ErrGoexit, as for
// a child's own error whose text cannot be taken), the child is hung at its
// return, the next incarnation is probed again, and at shutdown nothing is
// reported stuck for a goroutine that has ended.
func TestAProbeErrorWhoseErrorMethodCallsGoexitIsAFailedCallNotAStuckOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		var calls atomic.Int32
		sup := probeTree(t, rec, func(context.Context) error {
			if calls.Add(1) == 1 {
				return goexitText{}
			}
			return nil
		})
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		hung, err := rec.WaitFor(t.Context(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventHung })
		if err != nil {
			t.Fatal(err)
		}
		if got := hung.Time.Sub(t0); got != 2*time.Second {
			t.Errorf("hung %v after the launch, want 2s (the failed call's return)", got)
		}
		if !errors.Is(hung.Err, supervisor.ErrGoexit) || !errors.Is(hung.Err, supervisor.ErrHung) {
			t.Errorf("hung error = %v, want a hang wrapping ErrGoexit", hung.Err)
		}
		// The second incarnation began at 2s: it is probed at 4s, 6s, ...
		time.Sleep(7 * time.Second)
		synctest.Wait()
		if n := calls.Load(); n != 4 {
			t.Errorf("%d probe calls by 9s, want 4 (2s, then 4s, 6s, 8s for the next incarnation)", n)
		}
		if c := sup.Counters(); c.Hangs != 1 {
			t.Errorf("Counters = %+v, want one hang", c)
		}
		stop := time.Now()
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v, want nil: no probe call is left", err)
		}
		if waited := time.Since(stop); waited != 0 {
			t.Errorf("Run waited %v for a probe call that had ended", waited)
		}
	})
}
