package supervisor_test

// Regression tests for issue 10, "Wrong semantics", and the test that user
// hooks may call the supervisor's API (no lock is held around user code).

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

var errRg = errors.New("rg: boom")

// rgStuck is a worker that is ready at once and ignores cancellation until
// release is closed; it counts in live.
func rgStuck(live *rgLive, release <-chan struct{}) actor.Func {
	return func(ctx context.Context) error {
		live.n.Add(1)
		live.starts.Add(1)
		defer live.n.Add(-1)
		actor.Ready(ctx)
		<-ctx.Done()
		<-release
		return nil
	}
}

func TestEscalationBlockedByStuckSlotKeepsCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithStrategy(policy.OneForAll),
			supervisor.WithChildren(
				supervisor.Child{Name: "a", Actor: rgStuck(&live, release), ShutdownTimeout: time.Second},
				supervisor.Child{Name: "b", Actor: actor.Func(func(ctx context.Context) error {
					actor.Ready(ctx)
					time.Sleep(time.Second)
					return errRg
				})}))
		ch := ssGo(t.Context(), sup)
		err := rgDoneWithin(t, ch, 3*time.Second)
		var esc *supervisor.EscalationError
		if !errors.As(err, &esc) {
			t.Fatalf("Run: %v, want an escalation", err)
		}
		if !errors.Is(err, errRg) || esc.Child != "root/b" || esc.Origin != "root/b" || esc.Reason != "stuck" || esc.Blocked != "root/a" {
			t.Errorf("escalation %+v (%v): want cause errRg from root/b, blocked by root/a", *esc, err)
		}
	})
}

func TestNestedEscalationJoinsStuckErrorAndParentRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		var once sync.Once
		var live rgLive
		var fails atomic.Int64
		inner := ssNew(t, "inner", supervisor.WithStrategy(policy.OneForAll),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "s", Actor: rgStuck(&live, release), ShutdownTimeout: time.Second},
				supervisor.Child{Name: "f", Actor: actor.Func(func(ctx context.Context) error {
					actor.Ready(ctx)
					if fails.Add(1) > 1 {
						<-ctx.Done()
						return nil
					}
					time.Sleep(time.Second)
					return errRg
				})}))
		innerErrs := make(chan error, 4)
		// The backoff lets the released stuck goroutine return (the bubble
		// goes idle) before root starts inner again.
		root := ssNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 5, Period: time.Minute}),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "inner", Kind: supervisor.KindSupervisor, Actor: actor.Func(func(ctx context.Context) error {
				err := inner.Run(ctx)
				select {
				case innerErrs <- err:
				default:
				}
				once.Do(func() { close(release) }) // the stuck goroutine returns: inner can run again
				return err
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, root)
		time.Sleep(4 * time.Second)
		ssRunning(t, ch) // the parent judges the nested escalation by its own intensity
		select {
		case err := <-innerErrs:
			var esc *supervisor.EscalationError
			var se *supervisor.StuckError
			if !errors.As(err, &esc) || !errors.As(err, &se) || !errors.Is(err, errRg) {
				t.Errorf("inner Run: %v, want an escalation joined with a *StuckError", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("inner Run's error is not one line: %q", err)
			}
		default:
			t.Fatal("inner did not escalate")
		}
		if got := ssInfo(t, root, "inner"); got.Incarnation < 2 {
			t.Errorf("root did not restart inner: %+v", got)
		}
		if c := root.Counters(); c.EscalationsIntensity+c.EscalationsStuck+c.EscalationsDecider != 0 {
			t.Errorf("root escalated: %+v", c)
		}
		cancel()
		time.Sleep(time.Minute)
		_ = ssDone(t, ch)
	})
}

func TestStuckReportClearedOnceGoroutineReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var live rgLive
		var inc atomic.Int64
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", ShutdownTimeout: time.Second,
			Actor: actor.Func(func(ctx context.Context) error {
				if inc.Add(1) == 1 {
					return rgStuck(&live, release)(ctx)
				}
				return live.blocker()(ctx)
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		var se *supervisor.StuckError
		if err := sup.Restart("a"); !errors.As(err, &se) {
			t.Fatalf("Restart: %v, want a *StuckError", err)
		}
		close(release)
		synctest.Wait()
		if got := ssInfo(t, sup, "a"); got.State != supervisor.StateRunning {
			t.Fatalf("a after its stuck goroutine returned: %+v", got)
		}
		if alive, stuck := sup.Liveness(); !alive {
			t.Errorf("Liveness after the stuck goroutine returned: %v", stuck)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("clean shutdown after the stuck child recovered: %v", err)
		}
	})
}

func TestReadyFromOlderIncarnationIsIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inc atomic.Int64
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", WaitReady: true, StartTimeout: 10 * time.Second,
			Actor: actor.Func(func(ctx context.Context) error {
				if inc.Add(1) == 1 {
					actor.Ready(ctx)
					go func() { // a leftover of incarnation 1
						time.Sleep(5 * time.Second)
						actor.Ready(ctx)
					}()
					time.Sleep(time.Second)
					return errRg
				}
				<-ctx.Done() // incarnation 2 never becomes ready
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		time.Sleep(6 * time.Second)
		got := ssInfo(t, sup, "a")
		if got.Incarnation != 2 || got.Ready || got.State != supervisor.StateStarting {
			t.Errorf("incarnation 2 after a stale Ready: %+v, want starting, not ready", got)
		}
		if ready, _ := sup.Readiness(); ready {
			t.Errorf("tree ready through a stale Ready")
		}
		time.Sleep(6 * time.Second)
		// The start timeout still applies to incarnation 2, and is counted
		// as one: the first failure was an error, the second a timeout.
		if got := ssInfo(t, sup, "a"); got.Incarnation != 3 || !errors.Is(got.LastError, supervisor.ErrStartTimeout) {
			t.Errorf("incarnation 2 was not timed out: %+v", got)
		}
		if c := sup.Counters(); c.StartTimeouts != 1 || c.Errors != 1 || c.ExitsAbnormal != 2 {
			t.Errorf("counters %+v, want StartTimeouts 1, Errors 1, ExitsAbnormal 2", c)
		}
		cancel()
		_ = rgDoneWithin(t, ch, time.Minute)
	})
}

func TestNilBeforeReadyDelaysNextStartUntilReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := ssNewLog()
		var inc atomic.Int64
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "a", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
				if inc.Add(1) == 1 {
					return nil // before Ready
				}
				return ssReadyAfter("a", log, time.Second)(ctx)
			})},
			supervisor.Child{Name: "b", Actor: actor.Func(func(ctx context.Context) error {
				log.addAt("start b")
				return live.blocker()(ctx)
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		time.Sleep(5 * time.Second)
		cancel()
		_ = rgDoneWithin(t, ch, time.Minute)
		entries := log.get()
		readyAt := -1
		for i, e := range entries {
			if strings.HasSuffix(e, "ready a") && readyAt < 0 {
				readyAt = i
			}
			if strings.HasSuffix(e, "start b") && (readyAt < 0 || i < readyAt) {
				t.Fatalf("b started before a was ready: %q", entries)
			}
		}
	})
}

func TestStartTimeoutErrorKeepsChildError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "x", Actor: live.blocker()}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		err := sup.Add(supervisor.Child{Name: "slow", WaitReady: true, StartTimeout: time.Second,
			Actor: actor.Func(func(ctx context.Context) error {
				<-ctx.Done()
				return errRg
			})})
		var se *supervisor.StartError
		if !errors.As(err, &se) || !errors.Is(err, supervisor.ErrStartTimeout) || !errors.Is(err, errRg) {
			t.Errorf("Add: %v, want a *StartError reaching ErrStartTimeout and the child's error", err)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestDeciderPanicReachableInEscalation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "f",
			Decider: func(error) policy.Directive { panic("decider broke") },
			Actor:   actor.Func(func(context.Context) error { return errRg })}))
		err := ssDone(t, ssGo(t.Context(), sup))
		var esc *supervisor.EscalationError
		if !errors.As(err, &esc) || esc.Reason != "decider-failed" || !errors.Is(err, errRg) {
			t.Fatalf("Run: %v, want a decider-failed escalation reaching the child's error", err)
		}
		if !rgChainHas(err, "decider broke", 0) {
			t.Errorf("the decider's panic is not reachable in the error: %v", err)
		}
	})
}

// rgChainHas reports whether an error in err's chain has text containing
// sub.
func rgChainHas(err error, sub string, depth int) bool {
	if err == nil || depth > 32 {
		return false
	}
	if strings.Contains(err.Error(), sub) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return rgChainHas(u.Unwrap(), sub, depth+1)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if rgChainHas(e, sub, depth+1) {
				return true
			}
		}
	}
	return false
}
