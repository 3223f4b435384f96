package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

func TestAHungChildThatIgnoresItsContextBecomesStuckAndItsSupervisorGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		release := make(chan struct{})
		w := actor.Func(func(ctx context.Context) error {
			actor.Beat(ctx)
			<-release // ignores its context
			return nil
		})
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, ShutdownTimeout: 2 * time.Second,
				Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if info, _ := rsInfo(sup, "w"); info.State != supervisor.StateHung || !errors.Is(info.LastError, supervisor.ErrHung) {
			t.Errorf("child within its shutdown timeout after the hang: %v, %v; want hung, with the hang as its last error", info.State, info.LastError)
		}
		if !sup.Health().Alive {
			t.Error("not live while a hung child may still return")
		}
		err := run.Wait()
		if got := time.Since(t0); got != 3*time.Second {
			t.Errorf("Run returned after %v, want 3s (hung at 1s, stuck 2s later)", got)
		}
		var esc *supervisor.EscalationError
		var stuck *supervisor.StuckError
		if !errors.As(err, &esc) || esc.Reason != "stuck" || !errors.Is(err, supervisor.ErrHung) || !errors.As(err, &stuck) {
			t.Fatalf("Run = %v, want an escalation (stuck) blaming the hang, joined to a stuck report", err)
		}
		if len(stuck.Stuck) != 1 || stuck.Stuck[0].Path != "root/w" || stuck.Stuck[0].Waited != 2*time.Second {
			t.Errorf("stuck report = %+v", stuck.Stuck)
		}
		supervisortest.AssertOrder(t, rec.Kinds(supervisor.EventHung, supervisor.EventStopTimeout, supervisor.EventEscalated),
			"hung root/w", "stop_timeout root/w", "escalated root")
		if c := sup.Counters(); c.Hangs != 1 || c.StopTimeouts != 1 || c.EscalationsStuck != 1 {
			t.Errorf("Counters = %+v", c)
		}
		close(release)
	})
}

func TestAHangIsAFailureWhateverTheIncarnationReturnsAndDecidersSeeIt(t *testing.T) {
	for _, ret := range []struct {
		name string
		err  func(ctx context.Context) error
	}{
		{"nil", func(context.Context) error { return nil }},
		{"canceled", func(ctx context.Context) error { return ctx.Err() }},
		{"panic", func(context.Context) error { panic("after the cancel") }},
	} {
		t.Run(ret.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := supervisortest.NewRecorder()
				var seen atomic.Value
				w := actor.Func(func(ctx context.Context) error {
					<-ctx.Done()
					return ret.err(ctx)
				})
				sup := hangNew(t, "root", supervisor.WithObserver(rec),
					supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, Restart: policy.Transient,
						Decider: func(err error) policy.Directive {
							seen.Store(err)
							return policy.Stop
						},
						Liveness: &supervisor.Liveness{Timeout: time.Second}}))
				run := supervisortest.Start(t, sup)
				time.Sleep(time.Minute)
				synctest.Wait()
				err, _ := seen.Load().(error)
				if !errors.Is(err, supervisor.ErrHung) {
					t.Errorf("the decider saw %v, want the hang", err)
				}
				info, _ := rsInfo(sup, "w")
				if info.State != supervisor.StateStopped || !errors.Is(info.LastError, supervisor.ErrHung) {
					t.Errorf("child = %v, %v; want stopped by its decider after the hang", info.State, info.LastError)
				}
				if n := rec.Count(supervisor.EventFailed, "") + rec.Count(supervisor.EventPanicked, "") + rec.Count(supervisor.EventExited, ""); n != 0 {
					t.Errorf("%d exit events after the hung event, want none", n)
				}
				if c := sup.Counters(); c.Hangs != 1 || c.ExitsAbnormal != 1 || c.Panics != 0 || c.ExitsNormal != 0 {
					t.Errorf("Counters = %+v, want one hang and nothing else", c)
				}
				_ = run.Stop()
			})
		})
	}
}

func TestATransientChildThatReturnsNilAfterItsHangIsRestartedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		w := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 100, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, Restart: policy.Transient,
				Backoff:  &policy.Backoff{Initial: 3 * time.Second, Max: 3 * time.Second},
				Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		run := supervisortest.Start(t, sup)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		// Hung at 1s, 5s (1s + 3s of backoff + 1s), 9s.
		if n := rec.Count(supervisor.EventHung, "root/w"); n != 3 {
			t.Errorf("hung %d times in 9s, want 3", n)
		}
		for _, e := range rec.Filter(supervisor.EventRestarting) {
			if e.Delay != 3*time.Second || !errors.Is(e.Err, supervisor.ErrHung) {
				t.Errorf("restarting event: delay %v, error %v", e.Delay, e.Err)
			}
		}
		_ = run.Stop()
	})
}

func TestInAGroupRestartTheHungChildStopsFirstThenTheOthersNewestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := supervisortest.NewLog()
		rec := supervisortest.NewRecorder()
		worker := func(name string, hang bool) actor.Actor {
			return actor.Func(func(ctx context.Context) error {
				for !hang && supervisortest.Sleep(ctx, 100*time.Millisecond) {
					actor.Beat(ctx)
				}
				<-ctx.Done()
				log.Add("end " + name)
				return nil
			})
		}
		live := &supervisor.Liveness{Timeout: time.Second}
		var bRuns atomic.Int32
		b := actor.Func(func(ctx context.Context) error {
			return worker("b", bRuns.Add(1) == 1).Run(ctx)
		})
		sup := hangNew(t, "root", supervisor.WithObserver(rec), supervisor.WithStrategy(policy.OneForAll),
			supervisor.WithChildren(
				supervisor.Child{Name: "a", Actor: worker("a", false), Liveness: live},
				supervisor.Child{Name: "b", Actor: b, Liveness: live},
				supervisor.Child{Name: "c", Actor: worker("c", false), Liveness: live}))
		run := supervisortest.Start(t, sup)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		supervisortest.AssertEqual(t, log.Entries(), "end b", "end c", "end a")
		supervisortest.AssertEqual(t, rec.Kinds(supervisor.EventHung, supervisor.EventRestarting, supervisor.EventStopped, supervisor.EventStarted)[3:],
			"hung root/b", "restarting root/b", "stopped root/c", "stopped root/a", "started root/a", "started root/b", "started root/c")
		_ = run.Stop()
	})
}

func TestAHangIsLoggedWithTheChildsStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := supervisortest.ObservedLogger(zapcore.DebugLevel)
		a := newHanging(1, 0)
		sup := hangNew(t, "root", supervisor.WithLogger(logger),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: a, Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		run := supervisortest.Start(t, sup)
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		_ = run.Stop()
		var hung, restart bool
		for _, e := range logs.All() {
			switch e.Message {
			case "hung: missed its liveness deadline; cancelled":
				hung = true
				if e.Level != zapcore.WarnLevel || !strings.Contains(e.Stack, "blockOnChannel") || e.ContextMap()["error"] != "hung: no beat for 1s" {
					t.Errorf("hung entry: level %v, fields %v, stack:\n%s", e.Level, e.ContextMap(), e.Stack)
				}
				t.Logf("the hung entry: %v %v\n%s", e.Message, e.ContextMap(), e.Stack)
			case "hung; restarting":
				restart = true
			}
		}
		if !hung || !restart {
			t.Errorf("log entries hung=%v, restarting=%v, want both", hung, restart)
		}
	})
}

func TestLivenessIsCheckedAtConstruction(t *testing.T) {
	sub := hangNew(t, "sub")
	w := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	probe := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name  string
		child supervisor.Child
		field string
	}{
		{"supervisor", supervisor.Child{Name: "x", Actor: sub, Liveness: &supervisor.Liveness{Timeout: time.Second}}, "Child[x].Liveness"},
		{"declared supervisor", supervisor.Child{Name: "x", Actor: w, Kind: supervisor.KindSupervisor, Liveness: &supervisor.Liveness{Timeout: time.Second}}, "Child[x].Liveness"},
		{"zero timeout", supervisor.Child{Name: "x", Actor: w, Liveness: &supervisor.Liveness{}}, "Child[x].Liveness.Timeout"},
		{"infinite timeout", supervisor.Child{Name: "x", Actor: w, Liveness: &supervisor.Liveness{Timeout: policy.Infinity}}, "Child[x].Liveness.Timeout"},
		{"interval without probe", supervisor.Child{Name: "x", Actor: w, Liveness: &supervisor.Liveness{Timeout: time.Second, Interval: time.Second}}, "Child[x].Liveness.Interval"},
		{"negative interval", supervisor.Child{Name: "x", Actor: w, Liveness: &supervisor.Liveness{Timeout: time.Second, Interval: -1, Probe: probe}}, "Child[x].Liveness.Interval"},
	} {
		_, err := supervisor.New("root", supervisor.WithChildren(tc.child))
		var ce *supervisor.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: New = %v, want a *ConfigError for %s", tc.name, err, tc.field)
		}
	}
}

// The liveness checker is no child's goroutine, even when a child's Add
// started it: a stuck report of that child does not show it.
func TestTheLivenessCheckerIsNotInTheStacksOfTheChildThatStartedIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var sup *supervisor.Supervisor
		beating := actor.Func(func(ctx context.Context) error {
			for supervisortest.Sleep(ctx, 100*time.Millisecond) {
				actor.Beat(ctx)
			}
			return nil
		})
		adder := actor.Func(func(ctx context.Context) error {
			if err := sup.Add(supervisor.Child{Name: "w", Actor: beating, Liveness: &supervisor.Liveness{Timeout: time.Second}}); err != nil {
				return err
			}
			<-release // stuck at shutdown
			return nil
		})
		sup = hangNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "adder", Actor: adder, ShutdownTimeout: time.Second}))
		run := supervisortest.Start(t, sup)
		time.Sleep(time.Second)
		synctest.Wait()
		err := sup.Remove("adder") // stuck while the checker runs
		var stuck *supervisor.StuckError
		if !errors.As(err, &stuck) || len(stuck.Stuck) != 1 || stuck.Stuck[0].Path != "root/adder" {
			t.Fatalf("Remove = %v, want root/adder stuck", err)
		}
		if st := stuck.Stuck[0].Stack; strings.Contains(st, "watchLiveness") || !strings.Contains(st, "liveness_fail_test.go") {
			t.Errorf("root/adder's stack shows the checker, or not the adder:\n%s", st)
		}
		close(release)
		if err := run.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

// A shutdown that finds a child hung takes its stop over: the wait counts
// from the hang (when it was cancelled), and the incarnation, already
// counted as a hang, adds no stopped event or shutdown exit when it returns.
func TestAShutdownWaitsForAHungChildFromTheHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := supervisortest.NewRecorder()
		release := make(chan struct{})
		w := actor.Func(func(ctx context.Context) error {
			<-release // ignores its context
			return nil
		})
		sup := hangNew(t, "root", supervisor.WithObserver(rec),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w, ShutdownTimeout: 2 * time.Second,
				Liveness: &supervisor.Liveness{Timeout: time.Second}}))
		t0 := time.Now()
		run := supervisortest.Start(t, sup)
		time.Sleep(1500 * time.Millisecond) // hung at 1s
		synctest.Wait()
		err := run.Stop()
		if got := time.Since(t0); got != 3*time.Second {
			t.Errorf("Run returned after %v, want 3s: the hang at 1s plus the 2s shutdown timeout", got)
		}
		var stuck *supervisor.StuckError
		var esc *supervisor.EscalationError
		if !errors.As(err, &stuck) || errors.As(err, &esc) {
			t.Errorf("Run = %v, want a stuck report and no escalation", err)
		}
		close(release)
		synctest.Wait()
		if n := rec.Count(supervisor.EventStopped, "root/w"); n != 0 {
			t.Errorf("%d stopped events for the hung incarnation, want none", n)
		}
		if c := sup.Counters(); c.Hangs != 1 || c.ExitsAbnormal != 1 || c.ExitsShutdown != 0 || c.StopTimeouts != 1 {
			t.Errorf("Counters = %+v, want the incarnation counted once, as a hang", c)
		}
	})
}
