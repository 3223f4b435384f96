package supervisor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

func TestFailureDirectives(t *testing.T) {
	const (
		restarted = "restarted"
		stopped   = "stopped"
		removed   = "removed"
		escalated = "escalated"
	)
	tests := []struct {
		name    string
		typ     policy.RestartType
		decider policy.Decider
		err     error
		want    string
	}{
		{"decider_restart", policy.Permanent, func(error) policy.Directive { return policy.Restart }, errRsBoom, restarted},
		{"decider_stop", policy.Permanent, func(error) policy.Directive { return policy.Stop }, errRsBoom, stopped},
		{"decider_escalate", policy.Permanent, func(error) policy.Directive { return policy.Escalate }, errRsBoom, escalated},
		{"decider_panics", policy.Permanent, func(error) policy.Directive { panic("decider bug") }, errRsBoom, escalated},
		{"decider_unknown_directive", policy.Permanent, func(error) policy.Directive { return policy.Directive(42) }, errRsBoom, escalated},
		{"decider_restart_on_temporary", policy.Temporary, func(error) policy.Directive { return policy.Restart }, errRsBoom, removed},
		{"decider_overrides_sentinel", policy.Permanent, func(error) policy.Directive { return policy.Restart }, fmt.Errorf("w: %w", policy.ErrDoNotRestart), restarted},
		{"default_do_not_restart", policy.Permanent, nil, fmt.Errorf("w: %w", policy.ErrDoNotRestart), stopped},
		{"default_do_not_restart_transient", policy.Transient, nil, fmt.Errorf("w: %w", policy.ErrDoNotRestart), stopped},
		{"default_escalate", policy.Permanent, nil, fmt.Errorf("w: %w", policy.ErrEscalate), escalated},
		{"default_plain_error", policy.Permanent, nil, errRsBoom, restarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := new(rsLog)
				rec := new(rsRecorder)
				s, w := rsNewActor(log, "S"), rsNewActor(log, "W")
				var seen rsErrs
				decider := tt.decider
				if decider != nil {
					decider = func(err error) policy.Directive {
						seen.add(err)
						return tt.decider(err)
					}
				}
				sup := rsNew(t, "root", supervisor.WithObserver(rec), supervisor.WithChildren(
					supervisor.Child{Name: "S", Actor: s},
					supervisor.Child{Name: "W", Actor: w, Restart: tt.typ, Decider: decider},
				))
				run := rsStart(t, sup)
				mark := log.len()
				w.fail(tt.err)
				done, err := run.returned()
				if got := seen.all(); tt.decider != nil && (len(got) != 1 || !errors.Is(got[0], tt.err)) {
					t.Errorf("decider saw %v, want exactly the child's error %v", got, tt.err)
				}
				c, listed := rsInfo(sup, "W")
				switch tt.want {
				case restarted:
					rsEqual(t, "log", log.from(mark), []string{"fail W#1", "start W#2"})
				case stopped:
					rsEqual(t, "log", log.from(mark), []string{"fail W#1"})
					if !listed || c.State != supervisor.StateStopped {
						t.Errorf("W: %+v (listed %v), want stopped and still listed", c, listed)
					}
				case removed:
					rsEqual(t, "log", log.from(mark), []string{"fail W#1"})
					if listed {
						t.Errorf("W still listed: %+v", c)
					}
				case escalated:
					if !done {
						t.Fatal("Run did not escalate")
					}
					rsEqual(t, "log", log.from(mark), []string{"fail W#1", "stop S#1"})
					esc := rsEscalation(t, err)
					reason, says := "decider", "decider said escalate"
					switch tt.name {
					case "decider_panics":
						// The decider's failure is part of the error, not only of the logs.
						reason, says = "decider-failed", "decider failed (panic: decider bug)"
					case "decider_unknown_directive":
						reason, says = "decider-failed", "decider failed (returned an unknown directive: Directive(42))"
					}
					if esc.Reason != reason || esc.Child != "root/W" || !errors.Is(err, tt.err) {
						t.Errorf("escalation %+v, want reason %s, child root/W, wrapping %v", esc, reason, tt.err)
					}
					if want := "root gave up: " + says + " when root/W failed: " + tt.err.Error(); err.Error() != want {
						t.Errorf("Error() = %q, want %q", err.Error(), want)
					}
					return
				}
				if done {
					t.Fatalf("Run returned %v, want it still running", err)
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		})
	}
}

// A decider is consulted for abnormal exits only: not for normal exits
// (a Permanent child is restarted although its decider says Stop), nor for
// exits the supervisor asked for.
func TestFailureDeciderOnlyForAbnormalExits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := new(rsLog)
		w := rsNewActor(log, "W")
		w.stopErr = errRsOther // even an error returned when asked to stop is no failure
		var calls atomic.Int32
		sup := rsNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w,
			Decider: func(error) policy.Directive { calls.Add(1); return policy.Stop }}))
		run := rsStart(t, sup)
		w.fail(nil)
		if err := sup.Restart("W"); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		synctest.Wait()
		rsEqual(t, "log", log.all(), []string{"start W#1", "exit W#1", "start W#2", "stop W#2", "start W#3"})
		if got := calls.Load(); got != 0 {
			t.Fatalf("decider called %d times for a normal exit and a manual restart, want 0", got)
		}
		w.fail(errRsBoom)
		if got := calls.Load(); got != 1 {
			t.Fatalf("decider called %d times for one abnormal exit, want 1", got)
		}
		w2 := rsNewActor(log, "V")
		w2.stopErr = errRsOther
		if err := sup.Add(supervisor.Child{Name: "V", Actor: w2,
			Decider: func(error) policy.Directive { calls.Add(1); return policy.Escalate }}); err != nil {
			t.Fatalf("Add: %v", err)
		}
		if err := run.stop(); err != nil {
			t.Fatalf("Run: %v (a shutdown exit reached the decider?)", err)
		}
		if got := calls.Load(); got != 1 {
			t.Errorf("decider called %d times in all, want 1", got)
		}
	})
}

// A panic is recovered into a *PanicError with its value and stack, and is
// an abnormal exit: restarted, counted, and seen by the decider.
func TestFailurePanicRecovered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := new(rsRecorder)
		w := rsNewActor(new(rsLog), "W")
		var seen rsErrs
		sup := rsNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w,
				Decider: func(err error) policy.Directive { seen.add(err); return policy.Restart }}))
		run := rsStart(t, sup)
		w.do(func(context.Context) error { panic("kaboom") })
		synctest.Wait()
		if got := w.incarnations(); got != 2 {
			t.Fatalf("W ran %d incarnations after a panic, want 2", got)
		}
		evs := rec.of(supervisor.EventPanicked, "W")
		if len(evs) != 1 {
			t.Fatalf("%d panicked events, want 1", len(evs))
		}
		var pe *supervisor.PanicError
		if !errors.As(evs[0].Err, &pe) {
			t.Fatalf("panicked event error %v (%T), want a *PanicError", evs[0].Err, evs[0].Err)
		}
		if pe.Value != "kaboom" || len(pe.Stack) == 0 || !bytes.Contains(pe.Stack, []byte("supervisor_test")) {
			t.Errorf("PanicError value %v, stack %q: want kaboom and the panicking goroutine's stack", pe.Value, pe.Stack)
		}
		if got := seen.all(); len(got) != 1 || !errors.As(got[0], &pe) {
			t.Errorf("decider saw %v, want one *PanicError", got)
		}
		if got := rec.count(supervisor.EventRestarting, "W"); got != 1 {
			t.Errorf("%d restarting events, want 1", got)
		}
		w.do(func(context.Context) error { panic(errRsBoom) }) // the second counted failure escalates
		err := run.wait()
		rsEscalation(t, err)
		if !errors.As(err, &pe) || pe.Value != errRsBoom || !errors.Is(err, errRsBoom) {
			t.Errorf("escalation %v does not reach the *PanicError wrapping boom", err)
		}
	})
}

// runtime.Goexit is an abnormal exit with error ErrGoexit: restarted and
// counted, not a hang.
func TestFailureGoexit(t *testing.T) {
	for _, typ := range []policy.RestartType{policy.Permanent, policy.Transient} {
		t.Run(typ.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := new(rsRecorder)
				log := new(rsLog)
				w := rsNewActor(log, "W")
				sup := rsNew(t, "root", supervisor.WithObserver(rec),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Minute}),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w, Restart: typ}))
				run := rsStart(t, sup)
				w.do(func(context.Context) error { runtime.Goexit(); return nil })
				synctest.Wait()
				rsEqual(t, "log", log.all(), []string{"start W#1", "start W#2"})
				evs := rec.of(supervisor.EventFailed, "W")
				if len(evs) != 1 || !errors.Is(evs[0].Err, supervisor.ErrGoexit) {
					t.Fatalf("failed events %+v, want one with ErrGoexit", evs)
				}
				if c, _ := rsInfo(sup, "W"); c.State != supervisor.StateRunning || !errors.Is(c.LastError, supervisor.ErrGoexit) {
					t.Errorf("W: %+v, want running with last error ErrGoexit", c)
				}
				w.do(func(context.Context) error { runtime.Goexit(); return nil })
				err := run.wait()
				if rsEscalation(t, err); !errors.Is(err, supervisor.ErrGoexit) {
					t.Errorf("escalation %v does not wrap ErrGoexit", err)
				}
			})
		})
	}
}

// A context.Canceled the supervisor did not cause is an abnormal exit.
func TestFailureForeignCanceled(t *testing.T) {
	for _, typ := range []policy.RestartType{policy.Permanent, policy.Transient} {
		t.Run(typ.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := new(rsRecorder)
				log := new(rsLog)
				w := rsNewActor(log, "W")
				canceled := func(ctx context.Context) error {
					own, cancel := context.WithCancel(ctx)
					cancel()
					return own.Err()
				}
				sup := rsNew(t, "root", supervisor.WithObserver(rec),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Minute}),
					supervisor.WithChildren(supervisor.Child{Name: "W", Actor: w, Restart: typ}))
				run := rsStart(t, sup)
				w.do(canceled)
				synctest.Wait()
				rsEqual(t, "log", log.all(), []string{"start W#1", "fail W#1", "start W#2"})
				if evs := rec.of(supervisor.EventFailed, "W"); len(evs) != 1 || !errors.Is(evs[0].Err, context.Canceled) {
					t.Fatalf("failed events %+v, want one with context.Canceled", evs)
				}
				w.do(canceled) // counted: the second failure escalates
				err := run.wait()
				if rsEscalation(t, err); !errors.Is(err, context.Canceled) {
					t.Errorf("escalation %v does not wrap context.Canceled", err)
				}
			})
		})
	}
}

// An escalation is not held up by a group restart's backoff delay: the
// supervisor gives up at once, without starting the delayed group first.
func TestFailureEscalationDuringGroupDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		log := new(rsLog)
		actors, specs := rsGroup(log, true, "A", "W", "X")
		sup := rsNew(t, "root", supervisor.WithStrategy(policy.RestForOne),
			supervisor.WithBackoff(policy.Backoff{Initial: 10 * time.Second}),
			supervisor.WithChildren(specs...))
		run := rsStart(t, sup)
		actors["W"].fail(errRsBoom) // stops X, then waits 10s
		actors["A"].fail(fmt.Errorf("a: %w", policy.ErrEscalate))
		err := run.wait()
		esc := rsEscalation(t, err)
		if esc.Reason != "decider" || esc.Child != "root/A" {
			t.Errorf("escalation %+v, want reason decider for root/A", esc)
		}
		if at := time.Since(start); at != 0 {
			t.Errorf("escalated after %v, want at once", at)
		}
		rsEqual(t, "log", log.from(3), []string{"fail W#1", "stop X#1", "fail A#1"})
	})
}
