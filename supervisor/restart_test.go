package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// An exit the child makes by itself: restarted or not by its restart type.
func TestRestartTypeAfterOwnExit(t *testing.T) {
	tests := []struct {
		typ       policy.RestartType
		err       error
		want      []string
		wantState supervisor.State // of W afterwards; StateStuck means "removed"
	}{
		{policy.Permanent, nil, []string{"exit W#1", "start W#2"}, supervisor.StateRunning},
		{policy.Permanent, errRsBoom, []string{"fail W#1", "start W#2"}, supervisor.StateRunning},
		{policy.Transient, nil, []string{"exit W#1"}, supervisor.StateStopped},
		{policy.Transient, errRsBoom, []string{"fail W#1", "start W#2"}, supervisor.StateRunning},
		{policy.Temporary, nil, []string{"exit W#1"}, supervisor.StateStuck},
		{policy.Temporary, errRsBoom, []string{"fail W#1"}, supervisor.StateStuck},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%v/%s", tt.typ, map[bool]string{true: "normal", false: "abnormal"}[tt.err == nil])
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				s, w := rsNewActor(log, "S"), rsNewActor(log, "W")
				sup := rsNew(t, "root", supervisor.WithObserver(rec), supervisor.WithChildren(
					supervisor.Child{Name: "S", Actor: s},
					supervisor.Child{Name: "W", Actor: w, Restart: tt.typ},
				))
				run := rsStart(t, sup)
				mark := log.len()
				w.fail(tt.err)
				rsEqual(t, "log after the exit", log.from(mark), tt.want)

				c, ok := rsInfo(sup, "W")
				switch {
				case tt.wantState == supervisor.StateStuck:
					if ok {
						t.Errorf("temporary child still listed after it ended: %+v", c)
					}
					rsEqual(t, "children", rsNames(sup.Children()), []string{"S"})
				case !ok:
					t.Errorf("child W missing from Children()")
				case c.State != tt.wantState:
					t.Errorf("W is %v, want %v", c.State, tt.wantState)
				}
				restarted := len(tt.want) == 2
				if got, want := rec.count(supervisor.EventRestarting, "W"), map[bool]int{true: 1, false: 0}[restarted]; got != want {
					t.Errorf("%d restarting events, want %d", got, want)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// An exit the supervisor asked for (Remove, Restart, shutdown) is never
// followed by a restart of the supervisor's own, for every restart type,
// and counts nothing against the intensity (here 0: a counted restart would
// escalate).
func TestRestartTypeAfterShutdownExit(t *testing.T) {
	for _, typ := range []policy.RestartType{policy.Permanent, policy.Transient, policy.Temporary} {
		for _, how := range []string{"remove", "restart", "cancel"} {
			t.Run(fmt.Sprintf("%v/%s", typ, how), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					log := new(rsLog)
					rec := new(rsRecorder)
					s, w := rsNewActor(log, "S"), rsNewActor(log, "W")
					sup := rsNew(t, "root", supervisor.WithObserver(rec),
						supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
						supervisor.WithChildren(
							supervisor.Child{Name: "S", Actor: s},
							supervisor.Child{Name: "W", Actor: w, Restart: typ},
						))
					run := rsStart(t, sup)
					mark := log.len()
					var want []string
					var cause error
					switch how {
					case "remove":
						if err := sup.Remove("W"); err != nil {
							t.Fatalf("Remove: %v", err)
						}
						want, cause = []string{"stop W#1"}, supervisor.ErrRemoved
					case "restart":
						if err := sup.Restart("W"); err != nil {
							t.Fatalf("Restart: %v", err)
						}
						want, cause = []string{"stop W#1", "start W#2"}, supervisor.ErrManualStop
					case "cancel":
						if err := run.stop(); err != nil {
							t.Fatalf("Run: %v", err)
						}
						want, cause = []string{"stop W#1", "stop S#1"}, supervisor.ErrShutdown
					}
					synctest.Wait()
					rsEqual(t, "log", log.from(mark), want)
					if got := w.stopCause(1); !errors.Is(got, cause) {
						t.Errorf("W#1 stopped with cause %v, want %v", got, cause)
					}
					if got := rec.count(supervisor.EventRestarting, "W"); got != 0 {
						t.Errorf("%d restarting events for W, want 0", got)
					}
					switch how {
					case "remove":
						rsEqual(t, "children", rsNames(sup.Children()), []string{"S"})
					case "restart":
						if c, ok := rsInfo(sup, "W"); !ok || c.State != supervisor.StateRunning || c.Incarnation != 2 {
							t.Errorf("W after Restart: %+v (found %v), want running incarnation 2", c, ok)
						}
					}
					if done, err := run.returned(); done && how != "cancel" {
						t.Fatalf("Run returned %v: the shutdown exit was counted", err)
					}
					if err := run.stop(); err != nil {
						t.Fatalf("Run: %v", err)
					}
				})
			})
		}
	}
}

// An incarnation's context is cancelled, with cause ErrExited, before the
// next incarnation starts, whatever path the restart takes.
func TestRestartPreviousContextCancelledFirst(t *testing.T) {
	exits := map[string]func(context.Context) error{
		"error":  func(context.Context) error { return errRsBoom },
		"nil":    func(context.Context) error { return nil },
		"panic":  func(context.Context) error { panic("kaboom") },
		"goexit": func(context.Context) error { runtime.Goexit(); return nil },
	}
	setups := map[string][]supervisor.Option{
		"one_for_one": nil,
		"one_for_all": {supervisor.WithStrategy(policy.OneForAll)},
		"backoff":     {supervisor.WithBackoff(policy.Backoff{Initial: time.Second})},
	}
	for setup, opts := range setups {
		for exit, f := range exits {
			t.Run(setup+"/"+exit, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					log := new(rsLog)
					w, x := rsNewActor(log, "W"), rsNewActor(log, "X")
					opts := append([]supervisor.Option{
						supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
						supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}, supervisor.Child{Name: "X", Actor: x}),
					}, opts...)
					sup := rsNew(t, "root", opts...)
					run := rsStart(t, sup)
					for range 3 {
						w.do(f)
						synctest.Wait()
						time.Sleep(time.Minute) // past any backoff
					}
					if got := w.incarnations(); got != 4 {
						t.Fatalf("W ran %d incarnations, want 4", got)
					}
					for i, cause := range w.previousCauses() {
						if !errors.Is(cause, supervisor.ErrExited) {
							t.Errorf("when W#%d started, W#%d's context had cause %v, want ErrExited", i+2, i+1, cause)
						}
						if w.ctx(i+1).Err() == nil {
							t.Errorf("W#%d's context is not cancelled", i+1)
						}
					}
					if err := run.stop(); err != nil {
						t.Fatalf("Run: %v", err)
					}
				})
			})
		}
	}
}

// A child never has two live incarnations, even when crash loops of every
// kind race with manual restarts.
func TestRestartNeverTwoLiveIncarnations(t *testing.T) {
	for _, strategy := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		t.Run(strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				w, x := rsNewActor(log, "W"), rsNewActor(log, "X")
				sup := rsNew(t, "root", supervisor.WithStrategy(strategy),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w}, supervisor.Child{Name: "X", Actor: x}))
				run := rsStart(t, sup)
				var wg sync.WaitGroup
				wg.Go(func() {
					for i := range 60 {
						switch i % 4 {
						case 0:
							w.do(func(context.Context) error { return errRsBoom })
						case 1:
							w.do(func(context.Context) error { return nil })
						case 2:
							w.do(func(context.Context) error { panic(i) })
						case 3:
							w.do(func(context.Context) error { runtime.Goexit(); return nil })
						}
					}
				})
				wg.Go(func() {
					for range 20 {
						if err := sup.Restart("W"); err != nil {
							t.Errorf("Restart: %v", err)
						}
						if err := sup.Restart("X"); err != nil {
							t.Errorf("Restart: %v", err)
						}
					}
				})
				wg.Wait()
				synctest.Wait()
				for _, a := range []*rsActor{w, x} {
					if got := a.maxLive.Load(); got != 1 {
						t.Errorf("%s had %d live incarnations at once, want 1", a.name, got)
					}
					if got := a.live.Load(); got != 1 {
						t.Errorf("%s has %d live incarnations at the end, want 1", a.name, got)
					}
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// A WaitReady child returning nil before Ready has started and then exited
// normally: a Permanent one is restarted like after any normal exit.
func TestRestartPermanentExitingBeforeReady(t *testing.T) {
	for _, strategy := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		t.Run(strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				w, s := rsNewActor(log, "W"), rsNewActor(log, "S")
				w.ready = true
				w.onStart = func(_ context.Context, n int) (error, bool) { return nil, n == 1 }
				sup := rsNew(t, "root", supervisor.WithStrategy(strategy), supervisor.WithChildren(
					supervisor.Child{Name: "W", Actor: w, WaitReady: true},
					supervisor.Child{Name: "S", Actor: s, WaitReady: true},
				))
				s.ready = true
				run := rsStart(t, sup)
				if got := w.incarnations(); got != 2 {
					t.Errorf("W ran %d incarnations, want 2 (restarted after its normal exit)", got)
				}
				if c, _ := rsInfo(sup, "W"); c.State != supervisor.StateRunning || c.Incarnation != 2 {
					t.Errorf("W: %+v, want running incarnation 2", c)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}
