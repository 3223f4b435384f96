package supervisor_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// bsBlockedObserver blocks in Observe until release is closed.
func bsBlockedObserver(release <-chan struct{}) supervisor.Observer {
	return supervisor.ObserverFunc(func(supervisor.Event) { <-release })
}

// bsBlockedCore is a zap core whose Write blocks until release is closed.
func bsBlockedCore(release <-chan struct{}) zapcore.Core {
	return &testutil.HookCore{OnWrite: func(zapcore.Entry) { <-release }}
}

// bsRunUntil waits up to limit of virtual time for Run's error; ok is
// false if Run had not returned by then.
func bsRunUntil(done <-chan error, limit time.Duration) (err error, ok bool) {
	select {
	case err := <-done:
		return err, true
	case <-time.After(limit):
		return nil, false
	}
}

// bsStuckPaths returns the paths a *StuckError in err reports, sorted.
func bsStuckPaths(err error) []string {
	var se *supervisor.StuckError
	if !errors.As(err, &se) {
		return nil
	}
	var out []string
	for _, st := range se.Stuck {
		out = append(out, st.Path)
	}
	slices.Sort(out)
	return out
}

// TestShutdownBudgetCapsTheWaitForEveryBlockedSink checks that the
// shutdown budget bounds the wait for the event sinks however many of them
// are blocked: Run returns at cancel plus the budget, and names each
// blocked sink. (The wait once used one timer's channel once per sink, so
// only the first wait ended.)
func TestShutdownBudgetCapsTheWaitForEveryBlockedSink(t *testing.T) {
	cases := []struct {
		name string
		opts func(release chan struct{}) []supervisor.Option
		want []string
	}{
		{"two observers", func(release chan struct{}) []supervisor.Option {
			return []supervisor.Option{
				supervisor.WithObserver(bsBlockedObserver(release)),
				supervisor.WithObserver(bsBlockedObserver(release)),
			}
		}, []string{"root/(observer 0)", "root/(observer 1)"}},
		{"observer, zap core and slog handler", func(release chan struct{}) []supervisor.Option {
			return []supervisor.Option{
				supervisor.WithObserver(bsBlockedObserver(release)),
				supervisor.WithLogger(zap.New(bsBlockedCore(release))),
				supervisor.WithSlog(slog.New(&ssBadSlog{mode: "blocks", release: release, handled: make(chan struct{}, 1)})),
			}
		}, []string{"root/(logger)", "root/(observer 0)", "root/(slog)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				sup := ssNew(t, "root", append(tc.opts(release),
					supervisor.WithShutdownBudget(300*time.Millisecond),
					supervisor.WithChildren(supervisor.Child{Name: "w", Actor: ssBlocker("w", ssNewLog(), 0)}))...)
				ctx, cancel := context.WithCancel(t.Context())
				done := ssGo(ctx, sup)
				ssRunning(t, done)
				cancel()
				t0 := time.Now()
				err, ok := bsRunUntil(done, time.Hour)
				took := time.Since(t0)
				close(release)
				if !ok {
					<-done
					t.Fatal("Run still running an hour after cancel, with a 300ms budget")
				}
				if took != 300*time.Millisecond {
					t.Errorf("Run returned %v after cancel, want the 300ms budget", took)
				}
				if got := bsStuckPaths(err); !slices.Equal(got, tc.want) {
					t.Errorf("Run = %v, want %v reported stuck", err, tc.want)
				}
				synctest.Wait()
			})
		})
	}
}

// TestSinkThatTakesNoEventIsAbandonedAfterTheWorkerTimeout checks that,
// without a shutdown budget, a logger, slog handler or observer that takes
// no event for a worker's default shutdown timeout (5s) holds Run no longer:
// it is abandoned and reported like a stuck child.
func TestSinkThatTakesNoEventIsAbandonedAfterTheWorkerTimeout(t *testing.T) {
	cases := []struct {
		name string
		opt  func(release chan struct{}) supervisor.Option
		want string
	}{
		{"observer", func(release chan struct{}) supervisor.Option {
			return supervisor.WithObserver(bsBlockedObserver(release))
		}, "root/(observer 0)"},
		{"zap core", func(release chan struct{}) supervisor.Option {
			return supervisor.WithLogger(zap.New(bsBlockedCore(release)))
		}, "root/(logger)"},
		{"slog handler", func(release chan struct{}) supervisor.Option {
			return supervisor.WithSlog(slog.New(&ssBadSlog{mode: "blocks", release: release, handled: make(chan struct{}, 1)}))
		}, "root/(slog)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				sup := ssNew(t, "root", tc.opt(release),
					supervisor.WithChildren(supervisor.Child{Name: "w", Actor: ssBlocker("w", ssNewLog(), time.Second)}))
				ctx, cancel := context.WithCancel(t.Context())
				done := ssGo(ctx, sup)
				time.Sleep(time.Minute) // blocked since the first event
				cancel()
				t0 := time.Now()
				err, ok := bsRunUntil(done, time.Hour)
				took := time.Since(t0)
				close(release)
				if !ok {
					<-done
					t.Fatal("Run still running an hour after cancel")
				}
				// w takes 1s to stop; then the sink is given 5s.
				if took != 6*time.Second {
					t.Errorf("Run returned %v after cancel, want 6s (1s for w, then 5s for the sink)", took)
				}
				var se *supervisor.StuckError
				if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != tc.want || se.Stuck[0].Waited != 5*time.Second {
					t.Errorf("Run = %v, want %s reported stuck after 5s", err, tc.want)
				}
				synctest.Wait()
			})
		})
	}
}

// TestSlowSinkThatKeepsTakingEventsIsWaitedFor checks that, without a
// shutdown budget, an observer that is slow but keeps taking events is
// waited for however long it takes in all: once Run returned, it has seen
// every event.
func TestSlowSinkThatKeepsTakingEventsIsWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []supervisor.Event // written by the observer's goroutine only
		slow := supervisor.ObserverFunc(func(e supervisor.Event) {
			time.Sleep(4 * time.Second)
			seen = append(seen, e)
		})
		var kids []supervisor.Child
		for _, name := range []string{"a", "b", "c"} {
			kids = append(kids, supervisor.Child{Name: name, Actor: ssBlocker(name, ssNewLog(), 0)})
		}
		sup := ssNew(t, "root", supervisor.WithObserver(slow), supervisor.WithChildren(kids...))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(time.Minute) // the three started events are seen
		cancel()
		t0 := time.Now()
		err, ok := bsRunUntil(done, time.Hour)
		if !ok {
			t.Fatal("Run still running an hour after cancel")
		}
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		// shutdown, then stopped c, b, a: four events, 4s each.
		if took := time.Since(t0); took != 16*time.Second {
			t.Errorf("Run returned %v after cancel, want 16s (four events, 4s each)", took)
		}
		var got []string
		for _, e := range seen {
			got = append(got, e.Kind.String()+" "+e.Path)
		}
		want := []string{"started root/a", "started root/b", "started root/c", "shutdown root",
			"stopped root/c", "stopped root/b", "stopped root/a"}
		ssWant(t, "events seen when Run returned", got, want)
	})
}
