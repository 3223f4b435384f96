package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// ssStopThree starts children a, b and c (each takes 1s to stop) under the
// given options, cancels Run, and returns the log and how long the
// shutdown took, in virtual time.
func ssStopThree(t *testing.T, opts ...supervisor.Option) ([]string, time.Duration) {
	t.Helper()
	log := ssNewLog()
	sup := ssNew(t, "root", append(opts, supervisor.WithChildren(
		supervisor.Child{Name: "a", Actor: ssBlocker("a", log, time.Second), WaitReady: true},
		supervisor.Child{Name: "b", Actor: ssBlocker("b", log, time.Second), WaitReady: true},
		supervisor.Child{Name: "c", Actor: ssBlocker("c", log, time.Second), WaitReady: true},
	))...)
	ctx, cancel := context.WithCancel(t.Context())
	done := ssGo(ctx, sup)
	ssRunning(t, done)
	cancel()
	t0 := time.Now()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	return log.get(), time.Since(t0)
}

func TestShutdownNewestFirstOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, took := ssStopThree(t)
		if took != 3*time.Second {
			t.Errorf("shutdown took %v, want 3s (one child at a time)", took)
		}
		ssWant(t, "log", log, []string{
			"start a", "start b", "start c",
			"cancel c supervisor shutting down", "return c",
			"cancel b supervisor shutting down", "return b",
			"cancel a supervisor shutting down", "return a",
		})
	})
}

func TestShutdownConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, took := ssStopThree(t, supervisor.WithConcurrentShutdown(true))
		if took != time.Second {
			t.Errorf("shutdown took %v, want 1s (all at once)", took)
		}
		got := log[3:]
		for i, e := range got {
			if cancelled := strings.HasPrefix(e, "cancel "); cancelled != (i < 3) {
				t.Fatalf("log after starts = %q, want three cancels before any return", got)
			}
		}
	})
}

func TestShutdownStuckChild(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"explicit-2s", 2 * time.Second, 2 * time.Second},
		{"default-5s", 0, policy.DefaultShutdownTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testShutdownStuck(t, tc.timeout, tc.want) })
		})
	}
}

func testShutdownStuck(t *testing.T, timeout, want time.Duration) {
	log, rec := ssNewLog(), &ssRec{}
	logger, logs := ssLogger(zap.DebugLevel)
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	sup := ssNew(t, "root", supervisor.WithLogger(logger), supervisor.WithObserver(rec), supervisor.WithChildren(
		supervisor.Child{Name: "a", Actor: ssBlocker("a", log, 0), WaitReady: true},
		supervisor.Child{Name: "b", Actor: ssStuckWorker(release), WaitReady: true, ShutdownTimeout: timeout},
		supervisor.Child{Name: "c", Actor: ssBlocker("c", log, 0), WaitReady: true},
	))
	ctx, cancel := context.WithCancel(t.Context())
	done := ssGo(ctx, sup)
	ssRunning(t, done)
	cancel()
	t0 := time.Now()
	err := <-done
	if took := time.Since(t0); took != want {
		t.Errorf("shutdown took %v, want %v", took, want)
	}
	var se *supervisor.StuckError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %v, want *StuckError", err)
	}
	if se.Supervisor != "root" || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/b" || se.Stuck[0].Waited != want {
		t.Fatalf("StuckError = %+v, want root/b after %v", se, want)
	}
	if !strings.Contains(se.Stuck[0].Stack, "ssStuckWorker") {
		t.Errorf("stack of root/b does not name ssStuckWorker:\n%s", se.Stuck[0].Stack)
	}
	ssWant(t, "others stopped", log.get(), []string{
		"start a", "start c",
		"cancel c supervisor shutting down", "return c",
		"cancel a supervisor shutting down", "return a",
	})
	if n := rec.count(supervisor.EventStopTimeout, "root/b"); n != 1 {
		t.Errorf("%d stop_timeout events for root/b, want 1", n)
	}

	// While b's goroutine is alive, a new run starts normally: b's slot is
	// stuck, and starts once the old goroutine returns.
	ctx, cancel = context.WithCancel(t.Context())
	done = ssGo(ctx, sup)
	ssRunning(t, done)
	if got := ssInfo(t, sup, "b"); got.State != supervisor.StateStuck {
		t.Errorf("b in the new run: %v, want stuck", got.State)
	}
	if got := ssInfo(t, sup, "c"); got.State != supervisor.StateRunning {
		t.Errorf("c in the new run: %v, want running", got.State)
	}

	close(release)
	synctest.Wait()
	exited := logs.FilterMessage("stuck child finally returned").All()
	if len(exited) != 1 || ssFields(exited[0])["path"] != "root/b" {
		t.Errorf("stuck-exited entries = %v, want one for root/b", exited)
	}
	if got := ssInfo(t, sup, "b"); got.State != supervisor.StateRunning || got.Incarnation != 1 {
		t.Errorf("b once its old goroutine returned: %+v, want running, incarnation 1", got)
	}
	cancel()
	if err := ssDone(t, done); err != nil {
		t.Fatalf("Run after release = %v, want nil", err)
	}
}

func TestShutdownInfinityWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: ssBlocker("w", log, time.Hour), ShutdownTimeout: policy.Infinity},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		t0 := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if took := time.Since(t0); took != time.Hour {
			t.Errorf("shutdown took %v, want 1h", took)
		}
	})
}

func TestShutdownChildSupervisorHasNoLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		mid := ssNew(t, "mid", supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: ssBlocker("w", log, time.Hour), ShutdownTimeout: policy.Infinity},
		))
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "mid", Actor: mid}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		t0 := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if took := time.Since(t0); took != time.Hour {
			t.Errorf("shutdown took %v, want 1h", took)
		}
		ssWant(t, "log", log.get(), []string{"start w", "cancel w supervisor shutting down", "return w"})
	})
}

func TestShutdownConcurrentTimeoutsRunTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		var children []supervisor.Child
		for _, name := range []string{"a", "b", "c"} {
			children = append(children, supervisor.Child{Name: name, Actor: ssStuckWorker(release), ShutdownTimeout: 2 * time.Second})
		}
		sup := ssNew(t, "root", supervisor.WithConcurrentShutdown(true), supervisor.WithChildren(children...))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		t0 := time.Now()
		err := <-done
		if took := time.Since(t0); took != 2*time.Second {
			t.Errorf("shutdown took %v, want 2s: each timeout runs from the common cancel", took)
		}
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 3 {
			t.Fatalf("Run = %v, want *StuckError with 3 children", err)
		}
		for _, sc := range se.Stuck {
			if sc.Waited != 2*time.Second {
				t.Errorf("%s waited %v, want 2s", sc.Path, sc.Waited)
			}
		}
	})
}

func TestShutdownBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		release := make(chan struct{})
		defer time.Sleep(time.Minute) // let b return after Run did
		defer close(release)
		sup := ssNew(t, "root", supervisor.WithShutdownBudget(3*time.Second), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssStuckWorker(release), WaitReady: true, ShutdownTimeout: 10 * time.Second},
			supervisor.Child{Name: "b", Actor: ssBlocker("b", log, time.Second), WaitReady: true, ShutdownTimeout: 10 * time.Second},
			supervisor.Child{Name: "c", Actor: ssStuckWorker(release), WaitReady: true, ShutdownTimeout: 10 * time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		t0 := time.Now()
		err := <-done
		if took := time.Since(t0); took != 3*time.Second {
			t.Errorf("shutdown took %v, want the 3s budget", took)
		}
		var se *supervisor.StuckError
		if !errors.As(err, &se) {
			t.Fatalf("Run = %v, want *StuckError", err)
		}
		var got []string
		for _, s := range se.Stuck {
			got = append(got, s.Path+" "+s.Waited.String())
		}
		ssWant(t, "stuck", got, []string{"root/c 3s", "root/b 0s", "root/a 0s"})
		synctest.Wait() // b, cancelled as Run gave up on it, has logged that
		ssWant(t, "b was cancelled once the budget was spent", log.get(), []string{
			"start b", "cancel b supervisor shutting down",
		})
	})
}

func TestShutdownDrainDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		sup := ssNew(t, "root", supervisor.WithDrainDelay(2*time.Second), supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
				<-ctx.Done()
				log.addAt("cancel w")
				return nil
			})},
			// f fails during the drain: a shutting-down supervisor restarts nothing.
			supervisor.Child{Name: "f", Actor: actor.Func(func(ctx context.Context) error {
				log.addAt("start f")
				if ssSleep(ctx, 2*time.Second) {
					log.addAt("fail f")
					return errors.New("boom")
				}
				return nil
			})},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(time.Second)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		ssWant(t, "log", log.get(), []string{"0s start f", "2s fail f", "3s cancel w"})
	})
}

func TestShutdownStuckAggregatesUpTheTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		mid := ssNew(t, "mid", supervisor.WithChildren(
			supervisor.Child{Name: "leaf", Actor: ssStuckWorker(release), ShutdownTimeout: time.Second},
		))
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "mid", Actor: mid}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		err := <-done
		close(release)
		synctest.Wait()
		var se *supervisor.StuckError
		if !errors.As(err, &se) || se.Supervisor != "root" {
			t.Fatalf("Run = %v, want the root's *StuckError", err)
		}
		if len(se.Stuck) != 1 || se.Stuck[0].Path != "root/mid/leaf" || se.Stuck[0].Waited != time.Second {
			t.Fatalf("stuck = %+v, want root/mid/leaf after 1s", se.Stuck)
		}
		if !strings.Contains(se.Stuck[0].Stack, "ssStuckWorker") {
			t.Errorf("stack does not name ssStuckWorker:\n%s", se.Stuck[0].Stack)
		}
	})
}

// ssSig is a significant worker that runs for d, then returns err.
func ssSig(name string, log *ssLog, d time.Duration, err error) actor.Func {
	return func(ctx context.Context) error {
		select {
		case <-time.After(d):
			log.addAt("end %s", name)
			return err
		case <-ctx.Done():
			log.addAt("cancel %s", name)
			return nil
		}
	}
}

func TestAutoShutdownAnySignificant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		n := 0
		sup := ssNew(t, "root", supervisor.WithAutoShutdown(policy.AnySignificant), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: ssBlocker("a", log, 0)},
			supervisor.Child{Name: "s", Restart: policy.Transient, Significant: true,
				Actor: actor.Func(func(ctx context.Context) error {
					if n++; n == 1 { // an abnormal exit is restarted, not an end
						return ssSig("s", log, time.Second, errors.New("boom"))(ctx)
					}
					return ssSig("s", log, time.Second, nil)(ctx)
				})},
		))
		t0 := time.Now()
		if err := sup.Run(t.Context()); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if took := time.Since(t0); took != 2*time.Second {
			t.Errorf("Run took %v, want 2s", took)
		}
		ssWant(t, "log", log.get(), []string{"start a", "1s end s", "2s end s", "cancel a supervisor shutting down", "return a"})
	})
}

func TestAutoShutdownAllSignificant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		sup := ssNew(t, "root", supervisor.WithAutoShutdown(policy.AllSignificant), supervisor.WithChildren(
			supervisor.Child{Name: "s1", Restart: policy.Transient, Significant: true, Actor: ssSig("s1", log, time.Second, nil)},
			supervisor.Child{Name: "s2", Restart: policy.Temporary, Significant: true, Actor: ssSig("s2", log, 3*time.Second, nil)},
		))
		t0 := time.Now()
		if err := sup.Run(t.Context()); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if took := time.Since(t0); took != 3*time.Second {
			t.Errorf("Run took %v, want 3s (after the last significant child)", took)
		}
		ssWant(t, "log", log.get(), []string{"1s end s1", "3s end s2"})
	})
}

func TestAutoShutdownNotTriggeredByRemove(t *testing.T) {
	for _, mode := range []policy.AutoShutdown{policy.AnySignificant, policy.AllSignificant} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := ssNewLog()
				sup := ssNew(t, "root", supervisor.WithAutoShutdown(mode), supervisor.WithChildren(
					supervisor.Child{Name: "s", Restart: policy.Transient, Significant: true, Actor: ssSig("s", log, time.Hour, nil)},
				))
				ctx, cancel := context.WithCancel(t.Context())
				done := ssGo(ctx, sup)
				ssRunning(t, done)
				if err := sup.Remove("s"); err != nil {
					t.Fatalf("Remove: %v", err)
				}
				time.Sleep(2 * time.Hour)
				ssRunning(t, done)
				cancel()
				if err := ssDone(t, done); err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
				ssWant(t, "log", log.get(), []string{"0s cancel s"})
			})
		})
	}
}

func TestSignificantRejected(t *testing.T) {
	w := actor.Func(func(context.Context) error { return nil })
	for _, tc := range []struct {
		name string
		mode policy.AutoShutdown
		typ  policy.RestartType
	}{
		{"never", policy.Never, policy.Transient},
		{"permanent", policy.AnySignificant, policy.Permanent},
		{"permanent-all", policy.AllSignificant, policy.Permanent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := supervisor.New("root", supervisor.WithAutoShutdown(tc.mode), supervisor.WithChildren(
				supervisor.Child{Name: "s", Actor: w, Restart: tc.typ, Significant: true}))
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) || ce.Field != "Child[s].Significant" {
				t.Fatalf("New = %v, want *ConfigError on Child[s].Significant", err)
			}
		})
	}
}
