package supervisor_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// TestShutdownTakesOverAnOperationInFlight checks that the shutdown budget
// covers an operation in flight: a Remove, a Restart, a group restart or an
// Add whose start timed out, each waiting out a child's own 4s shutdown
// timeout (or no timeout at all, policy.Infinity), is taken over by the
// shutdown. Run returns at cancel plus the 300ms budget, reporting the child
// stuck after all the time it was waited for, and the caller of the
// operation gets ErrShuttingDown at once.
func TestShutdownTakesOverAnOperationInFlight(t *testing.T) {
	type setup struct {
		children []supervisor.Child
		opts     []supervisor.Option
		op       func(*supervisor.Supervisor) error // nil: no caller waits (a group restart)
		opName   string
		asked    time.Duration // when w is asked to stop, after the operation began
	}
	stuck := func(release chan struct{}, timeout time.Duration) supervisor.Child {
		return supervisor.Child{Name: "w", Actor: ssStuckWorker(release), ShutdownTimeout: timeout}
	}
	cases := []struct {
		name string
		make func(release chan struct{}, timeout time.Duration) setup
	}{
		{"Remove", func(release chan struct{}, timeout time.Duration) setup {
			return setup{children: []supervisor.Child{stuck(release, timeout)},
				op: func(s *supervisor.Supervisor) error { return s.Remove("w") }, opName: "Remove"}
		}},
		{"Restart", func(release chan struct{}, timeout time.Duration) setup {
			return setup{children: []supervisor.Child{stuck(release, timeout)},
				op: func(s *supervisor.Supervisor) error { return s.Restart("w") }, opName: "Restart"}
		}},
		{"group restart", func(release chan struct{}, timeout time.Duration) setup {
			var n atomic.Int32
			fails := supervisor.Child{Name: "f", Actor: actor.Func(func(ctx context.Context) error {
				if n.Add(1) == 1 {
					return errors.New("boom") // at once: the group restart stops w
				}
				<-ctx.Done()
				return nil
			})}
			return setup{children: []supervisor.Child{stuck(release, timeout), fails},
				opts: []supervisor.Option{supervisor.WithStrategy(policy.OneForAll)}}
		}},
		{"Add whose start timed out", func(release chan struct{}, timeout time.Duration) setup {
			return setup{op: func(s *supervisor.Supervisor) error {
				return s.Add(supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
					<-ctx.Done()
					<-release
					return nil
				}), WaitReady: true, StartTimeout: time.Nanosecond, ShutdownTimeout: timeout})
			}, opName: "Add", asked: time.Nanosecond}
		}},
	}
	for _, tc := range cases {
		for _, v := range []struct {
			name       string
			timeout    time.Duration
			concurrent bool
		}{
			{"timeout 4s", 4 * time.Second, false},
			{"no timeout", policy.Infinity, false},
			{"timeout 4s, concurrent shutdown", 4 * time.Second, true},
		} {
			timeout := v.timeout
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					release := make(chan struct{})
					free := sync.OnceFunc(func() { close(release) })
					defer synctest.Wait()
					defer free()
					st := tc.make(release, timeout)
					sup := ssNew(t, "root", append(st.opts, supervisor.WithShutdownBudget(300*time.Millisecond),
						supervisor.WithConcurrentShutdown(v.concurrent),
						supervisor.WithChildren(st.children...))...)
					ctx, cancel := context.WithCancel(t.Context())
					done := ssGo(ctx, sup)
					synctest.Wait()
					opErr := make(chan error, 1)
					if st.op != nil {
						go func() { opErr <- st.op(sup) }()
					}
					time.Sleep(time.Second) // the operation waits for w to stop
					cancel()
					t0 := time.Now()
					if st.op != nil {
						var err error
						select {
						case err = <-opErr:
						case <-time.After(time.Hour):
						}
						var oe *supervisor.OpError
						if !errors.As(err, &oe) || !errors.Is(err, supervisor.ErrShuttingDown) || oe.Op != st.opName || oe.Child != "root/w" {
							t.Errorf("%s = %v, want an *OpError for root/w with ErrShuttingDown", st.opName, err)
						}
						if d := time.Since(t0); d != 0 {
							t.Errorf("%s returned %v after cancel, want at once", st.opName, d)
						}
					}
					err, ok := bsRunUntil(done, time.Hour)
					if !ok {
						free()
						<-done
						t.Fatal("Run still running an hour after cancel, with a 300ms budget")
					}
					if took := time.Since(t0); took != 300*time.Millisecond {
						t.Errorf("Run returned %v after cancel, want the 300ms budget", took)
					}
					var se *supervisor.StuckError
					want := 1300*time.Millisecond - st.asked
					if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/w" || se.Stuck[0].Waited != want {
						t.Errorf("Run = %v, want root/w reported stuck after %v (from when it was asked to the budget's end)", err, want)
					}
				})
			})
		}
	}
}

// TestTakenOverStopWaitsOnlyWhatIsLeftOfTheChildsTimeout checks that,
// without a budget, the shutdown that takes over a Remove waits for the
// child only what is left of its own timeout since the Remove asked it to
// stop, not a whole timeout more.
func TestTakenOverStopWaitsOnlyWhatIsLeftOfTheChildsTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: ssStuckWorker(release), ShutdownTimeout: 4 * time.Second}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		synctest.Wait()
		removed := make(chan error, 1)
		go func() { removed <- sup.Remove("w") }()
		time.Sleep(time.Second)
		cancel()
		t0 := time.Now()
		if err := <-removed; !errors.Is(err, supervisor.ErrShuttingDown) {
			t.Errorf("Remove = %v, want ErrShuttingDown", err)
		}
		err := <-done
		if took := time.Since(t0); took != 3*time.Second {
			t.Errorf("Run returned %v after cancel, want 3s (what was left of w's 4s)", took)
		}
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/w" || se.Stuck[0].Waited != 4*time.Second {
			t.Errorf("Run = %v, want root/w reported stuck after 4s", err)
		}
	})
}
