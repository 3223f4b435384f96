package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

func TestStartInOrderOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, rec := ssNewLog(), &ssRec{}
		sup := ssNew(t, "root", supervisor.WithObserver(rec), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssReadyAfter("a", log, time.Second), WaitReady: true},
			supervisor.Child{Name: "b", Actor: ssReadyAfter("b", log, time.Second), WaitReady: true},
			supervisor.Child{Name: "c", Actor: ssReadyAfter("c", log, time.Second), WaitReady: true},
			supervisor.Child{Name: "d", Actor: ssBlocker("d", ssNewLog(), 0)},
			supervisor.Child{Name: "e", Actor: ssBlocker("e", ssNewLog(), 0)},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(time.Minute)
		ssRunning(t, done)
		ssWant(t, "start log", log.get(), []string{
			"0s start a", "1s ready a", "1s start b", "2s ready b", "2s start c", "3s ready c",
		})
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		ssWant(t, "started events", rec.kinds(supervisor.EventStarted), []string{
			"started root/a", "started root/b", "started root/c", "started root/d", "started root/e",
		})
	})
}

func TestStartReadinessGatesNextChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "one", Actor: ssReadyAfter("one", log, 3*time.Second), WaitReady: true},
			supervisor.Child{Name: "two", Actor: actor.Func(func(ctx context.Context) error {
				log.addAt("start two")
				<-ctx.Done()
				return nil
			})},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(2999 * time.Millisecond)
		synctest.Wait()
		ssWant(t, "before ready", log.get(), []string{"0s start one"})
		time.Sleep(time.Minute)
		ssRunning(t, done)
		ssWant(t, "after ready", log.get(), []string{"0s start one", "3s ready one", "3s start two"})
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestStartWaitsForChildSupervisor(t *testing.T) {
	for _, wrapped := range []bool{false, true} {
		name := "direct"
		if wrapped {
			name = "wrapped-KindSupervisor"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := ssNewLog()
				sub := ssNew(t, "sub", supervisor.WithChildren(
					supervisor.Child{Name: "x", Actor: ssBlocker("x", ssNewLog(), 0)},
					supervisor.Child{Name: "slow", Actor: ssReadyAfter("slow", log, 2*time.Second), WaitReady: true},
				))
				subChild := supervisor.Child{Name: "sub", Actor: sub}
				if wrapped {
					subChild.Actor = actor.Func(func(ctx context.Context) error { return sub.Run(ctx) })
					subChild.Kind = supervisor.KindSupervisor
				}
				sup := ssNew(t, "root", supervisor.WithChildren(subChild,
					supervisor.Child{Name: "next", Actor: actor.Func(func(ctx context.Context) error {
						log.addAt("start next")
						<-ctx.Done()
						return nil
					})},
				))
				ctx, cancel := context.WithCancel(t.Context())
				done := ssGo(ctx, sup)
				time.Sleep(time.Minute)
				ssRunning(t, done)
				ssWant(t, "log", log.get(), []string{"0s start slow", "2s ready slow", "2s start next"})
				cancel()
				if err := ssDone(t, done); err != nil {
					t.Fatalf("Run = %v", err)
				}
			})
		})
	}
}

func TestStartTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		causes := make(chan error, 1)
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "first", Actor: ssBlocker("first", log, 0)},
			supervisor.Child{Name: "slow", WaitReady: true, StartTimeout: 4 * time.Second,
				Actor: actor.Func(func(ctx context.Context) error {
					<-ctx.Done()
					causes <- context.Cause(ctx)
					return ctx.Err()
				})},
		))
		t0 := time.Now()
		err := sup.Run(t.Context())
		if took := time.Since(t0); took != 4*time.Second {
			t.Errorf("Run took %v, want 4s", took)
		}
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Child != "root/slow" || se.Supervisor != "root" {
			t.Fatalf("Run = %#v, want *StartError for root/slow", err)
		}
		if !errors.Is(err, supervisor.ErrStartTimeout) {
			t.Errorf("Run = %v, want it to wrap ErrStartTimeout", err)
		}
		if c := <-causes; c != supervisor.ErrStartTimeout {
			t.Errorf("cause of slow = %v, want ErrStartTimeout", c)
		}
		ssWant(t, "first", log.get(), []string{"start first", "cancel first supervisor shutting down", "return first"})
	})
}

func TestStartTimeoutDefaultFromSupervisor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root", supervisor.WithStartTimeout(2*time.Second), supervisor.WithChildren(
			supervisor.Child{Name: "never", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
				<-ctx.Done()
				return nil
			})}))
		t0 := time.Now()
		err := sup.Run(t.Context())
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Child != "root/never" || !errors.Is(err, supervisor.ErrStartTimeout) {
			t.Fatalf("Run = %v, want *StartError for root/never wrapping ErrStartTimeout", err)
		}
		if took := time.Since(t0); took != 2*time.Second {
			t.Errorf("Run took %v, want 2s", took)
		}
	})
}

func TestStartFailureBeforeReady(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		run   func(ctx context.Context) error
		check func(error) bool
	}{
		{"error", func(context.Context) error { return boom }, func(err error) bool { return errors.Is(err, boom) }},
		{"panic", func(context.Context) error { panic("kaput") }, func(err error) bool {
			var pe *supervisor.PanicError
			return errors.As(err, &pe) && pe.Value == "kaput"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				sup := ssNew(t, "root", supervisor.WithChildren(
					supervisor.Child{Name: "w", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
						calls++
						return tc.run(ctx)
					})},
				))
				err := sup.Run(t.Context())
				var se *supervisor.StartError
				if !errors.As(err, &se) || se.Child != "root/w" || !tc.check(err) {
					t.Fatalf("Run = %v, want *StartError for root/w wrapping the failure", err)
				}
				if calls != 1 {
					t.Errorf("child ran %d times, want 1 (a start failure is not retried)", calls)
				}
			})
		})
	}
}

func TestStartNilBeforeReadyIsNormalExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		n := 0
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
				n++
				log.addAt("start w#%d", n)
				if n == 1 {
					return nil // ends before Ready: a start, then a normal exit
				}
				actor.Ready(ctx)
				<-ctx.Done()
				return nil
			})},
			supervisor.Child{Name: "next", Actor: ssBlocker("next", log, 0)},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		if info := ssInfo(t, sup, "w"); info.Restarts != 1 || info.Incarnation != 2 || info.State != supervisor.StateRunning {
			t.Errorf("w = %+v, want restarted once, incarnation 2, running", info)
		}
		got := log.get()
		if len(got) != 3 || got[0] != "0s start w#1" || !ssHasPrefix(got, "0s start w#2") || !ssHasPrefix(got, "start next") {
			t.Errorf("log = %q, want w#1, then w#2 and next", got)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	})
}

func TestStartFailureStopsStartedNewestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		boom := errors.New("boom")
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssBlocker("a", log, time.Second), WaitReady: true},
			supervisor.Child{Name: "b", Actor: ssBlocker("b", log, time.Second), WaitReady: true},
			supervisor.Child{Name: "c", Actor: ssBlocker("c", log, time.Second), WaitReady: true},
			supervisor.Child{Name: "d", WaitReady: true, Actor: actor.Func(func(context.Context) error { return boom })},
		))
		err := sup.Run(t.Context())
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Child != "root/d" || !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want *StartError for root/d wrapping boom", err)
		}
		ssWant(t, "log", log.get(), []string{
			"start a", "start b", "start c",
			"cancel c supervisor shutting down", "return c",
			"cancel b supervisor shutting down", "return b",
			"cancel a supervisor shutting down", "return a",
		})
	})
}

func TestStartWithoutWaitReadyNeverFailsStart(t *testing.T) {
	boom := errors.New("boom")
	synctest.Test(t, func(t *testing.T) {
		n := 0
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
				if n++; n == 1 {
					return boom
				}
				<-ctx.Done()
				return nil
			})},
			supervisor.Child{Name: "next", Actor: ssBlocker("next", ssNewLog(), 0)},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: actor.Func(func(context.Context) error { return boom })},
		))
		err := sup.Run(t.Context())
		var se *supervisor.StartError
		var esc *supervisor.EscalationError
		if errors.As(err, &se) || !errors.As(err, &esc) {
			t.Fatalf("Run = %v, want an escalation, not a start error", err)
		}
	})
}

func TestRunContextAlreadyDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ran := false
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: actor.Func(func(context.Context) error { ran = true; return nil })},
		))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := sup.Run(ctx); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		synctest.Wait()
		if ran {
			t.Error("a child ran although the context was already done")
		}
	})
}

func TestRunNoChildrenRunsUntilCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root")
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(24 * time.Hour)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	})
}

func TestRunDeadlineCountsAsCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: ssBlocker("w", log, 0)}))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		t0 := time.Now()
		if err := sup.Run(ctx); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if took := time.Since(t0); took != 5*time.Second {
			t.Errorf("Run took %v, want 5s", took)
		}
		ssWant(t, "log", log.get(), []string{"start w", "cancel w supervisor shutting down", "return w"})
	})
}

func TestRunWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: ssBlocker("w", ssNewLog(), 0)}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		if err := sup.Run(t.Context()); err != supervisor.ErrAlreadyRunning {
			t.Fatalf("second Run = %v, want ErrAlreadyRunning", err)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestRunAgainStartsFresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		n := 0
		sup := ssNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Hour}),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
				n++
				if n == 1 || n == 3 { // the first incarnation of each run fails
					return boom
				}
				<-ctx.Done()
				return nil
			})}))
		for run := 1; run <= 2; run++ {
			ctx, cancel := context.WithCancel(t.Context())
			done := ssGo(ctx, sup)
			ssRunning(t, done)
			if run == 1 {
				if err := sup.Add(supervisor.Child{Name: "extra", Actor: ssBlocker("extra", ssNewLog(), 0)}); err != nil {
					t.Fatalf("Add: %v", err)
				}
				ssWant(t, "run 1 children", ssNames(sup.Children()), []string{"w", "extra"})
			} else {
				ssWant(t, "run 2 children", ssNames(sup.Children()), []string{"w"})
			}
			if info := ssInfo(t, sup, "w"); info.Restarts != 1 || info.Incarnation != 2 {
				t.Errorf("run %d: w = %+v, want 1 restart, incarnation 2", run, info)
			}
			cancel()
			if err := ssDone(t, done); err != nil {
				t.Fatalf("run %d: Run = %v, want nil (the intensity window starts empty)", run, err)
			}
		}
	})
}

func TestWithInitRunsEveryRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		inits := 0
		sup := ssNew(t, "root",
			supervisor.WithChildren(supervisor.Child{Name: "spec", Actor: ssBlocker("spec", log, 0), WaitReady: true}),
			supervisor.WithInit(func(ctx context.Context, s *supervisor.Supervisor) error {
				inits++
				log.add("init %d", inits)
				return s.Add(supervisor.Child{Name: "dyn", Actor: ssBlocker("dyn", log, 0), WaitReady: true})
			}))
		for run := 1; run <= 2; run++ {
			ctx, cancel := context.WithCancel(t.Context())
			done := ssGo(ctx, sup)
			ssRunning(t, done)
			ssWant(t, "children", ssNames(sup.Children()), []string{"spec", "dyn"})
			cancel()
			if err := ssDone(t, done); err != nil {
				t.Fatalf("run %d: Run = %v", run, err)
			}
		}
		if inits != 2 {
			t.Errorf("init ran %d times, want 2", inits)
		}
		ssWant(t, "log", log.get()[:3], []string{"start spec", "init 1", "start dyn"})
	})
}

func TestWithInitErrorFailsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		bad := errors.New("no pool")
		sup := ssNew(t, "root",
			supervisor.WithChildren(supervisor.Child{Name: "spec", Actor: ssBlocker("spec", log, 0)}),
			supervisor.WithInit(func(context.Context, *supervisor.Supervisor) error { return bad }))
		err := sup.Run(t.Context())
		var se *supervisor.StartError
		if !errors.As(err, &se) || !errors.Is(err, bad) || se.Supervisor != "root" {
			t.Fatalf("Run = %v, want *StartError wrapping the init error", err)
		}
		ssWant(t, "log", log.get(), []string{"start spec", "cancel spec supervisor shutting down", "return spec"})
	})
}
