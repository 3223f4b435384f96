package supervisor_test

// Regression tests for issue 10, "Hangs and deadlocks" and "Scale": each
// is named after the behaviour it checks.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// rgLive counts the incarnations of test actors that have not returned.
type rgLive struct{ n, starts atomic.Int64 }

// blocker returns an actor that is ready at once and returns when its
// context is cancelled, counted in l.
func (l *rgLive) blocker() actor.Func {
	return func(ctx context.Context) error {
		l.n.Add(1)
		l.starts.Add(1)
		defer l.n.Add(-1)
		actor.Ready(ctx)
		<-ctx.Done()
		return nil
	}
}

// rgQuick checks, without waiting, that f returns once the bubble is idle:
// a supervisor method that waits on a held lock or on user code fails it.
func rgQuick(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	synctest.Wait()
	select {
	case <-done:
	default:
		t.Fatalf("%s did not return", what)
	}
}

// rgReadApis calls the read-only API of sup and fails t if one waits.
func rgReadApis(t *testing.T, sup *supervisor.Supervisor) {
	t.Helper()
	rgQuick(t, "Health", func() { sup.Health() })
	rgQuick(t, "Snapshot", func() { sup.Snapshot() })
	rgQuick(t, "Children", func() { sup.Children() })
	rgQuick(t, "Readiness", func() { sup.Readiness() })
}

// rgDoneWithin lets d of virtual time pass (Run's timers fire) and returns
// Run's error, failing t if Run has not returned by then.
func rgDoneWithin(t *testing.T, ch <-chan error, d time.Duration) error {
	t.Helper()
	time.Sleep(d)
	return ssDone(t, ch)
}

func TestAddAndRestartRacingRunStartLeaveNothingRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var live rgLive
		sup := ssNew(t, "pool", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: live.blocker()}))
		for i := range 300 {
			ctx, cancel := context.WithCancel(t.Context())
			ch := ssGo(ctx, sup)
			go sup.Add(supervisor.Child{Name: "x", Actor: live.blocker()})
			go sup.Restart("a")
			if i%3 == 0 {
				runtime.Gosched()
				go sup.Add(supervisor.Child{Name: "y", Actor: live.blocker()})
			}
			if i%2 == 0 {
				synctest.Wait()
			}
			cancel()
			if err := ssDone(t, ch); err != nil {
				t.Fatalf("cycle %d: Run: %v", i, err)
			}
			if n := live.n.Load(); n != 0 {
				t.Fatalf("cycle %d: %d incarnations still running after Run returned", i, n)
			}
		}
	})
}

func TestCancelDuringInitReturnsNil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dialing := make(chan struct{})
		sup := ssNew(t, "root", supervisor.WithInit(func(ctx context.Context, _ *supervisor.Supervisor) error {
			close(dialing)
			<-ctx.Done() // a dial with ctx
			return context.Cause(ctx)
		}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		<-dialing
		ssRunning(t, ch)
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Fatalf("Run after cancel during init: %v, want nil", err)
		}
	})
}

func TestBlockedObserverAbandonedWithinBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		obs := supervisor.ObserverFunc(func(supervisor.Event) { <-release })
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithObserver(obs), supervisor.WithShutdownBudget(100*time.Millisecond),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: live.blocker()}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		rgReadApis(t, sup)
		t0 := time.Now()
		cancel()
		err := rgDoneWithin(t, ch, 100*time.Millisecond)
		if d := time.Since(t0); d > 100*time.Millisecond {
			t.Errorf("Run took %v with a 100ms budget", d)
		}
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) == 0 {
			t.Errorf("Run: %v, want a *StuckError naming the blocked observer", err)
		}
	})
}

func TestBlockedLogCoreAbandonedWithinBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		core := &testutil.HookCore{OnWrite: func(zapcore.Entry) { <-release }}
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithLogger(zap.New(core)), supervisor.WithShutdownBudget(100*time.Millisecond),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: live.blocker()}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		rgReadApis(t, sup)
		t0 := time.Now()
		cancel()
		err := rgDoneWithin(t, ch, 100*time.Millisecond)
		if d := time.Since(t0); d > 100*time.Millisecond {
			t.Errorf("Run took %v with a 100ms budget", d)
		}
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) == 0 {
			t.Errorf("Run: %v, want a *StuckError naming the blocked logger", err)
		}
		if n := live.n.Load(); n != 0 {
			t.Errorf("%d children still running", n)
		}
	})
}

func TestPanickingLogCoreLeavesSupervisionRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core := &testutil.HookCore{OnWrite: func(zapcore.Entry) { panic("core broke") }}
		var live rgLive
		var fails atomic.Int64
		flaky := actor.Func(func(ctx context.Context) error {
			if fails.Add(1) == 1 {
				return errors.New("first failure")
			}
			return live.blocker()(ctx)
		})
		inner := ssNew(t, "inner", supervisor.WithLogger(zap.New(core)),
			supervisor.WithChildren(supervisor.Child{Name: "w", Actor: live.blocker()}, supervisor.Child{Name: "f", Actor: flaky}))
		root := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "inner", Actor: inner}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, root)
		ssRunning(t, ch)
		rgReadApis(t, root)
		rgReadApis(t, inner)
		if h := root.Health(); !h.Ready || !h.Alive {
			t.Errorf("Health with a panicking core: %+v", h)
		}
		if got := ssInfo(t, inner, "f"); got.State != supervisor.StateRunning || got.Incarnation != 2 {
			t.Errorf("f after one failure: %+v", got)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
		if n := live.n.Load(); n != 0 {
			t.Errorf("%d children leaked", n)
		}
	})
}

// rgSelfErr is an error whose Unwrap returns itself.
type rgSelfErr struct{}

func (e *rgSelfErr) Error() string { return "self" }
func (e *rgSelfErr) Unwrap() error { return e }

// rgPanicErr is an error whose Unwrap panics.
type rgPanicErr struct{}

func (e *rgPanicErr) Error() string { return "panicky" }
func (e *rgPanicErr) Unwrap() error { panic("unwrap broke") }

// rgBadErrorTree fails its child with err until the supervisor gives up.
func rgBadErrorTree(t *testing.T, err error) {
	synctest.Test(t, func(t *testing.T) {
		logger, _ := ssLogger(zapcore.DebugLevel)
		var rec ssRec
		sup := ssNew(t, "root", supervisor.WithLogger(logger), supervisor.WithObserver(&rec),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 3, Period: time.Minute}),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "bad", Actor: actor.Func(func(context.Context) error { return err })}))
		ch := ssGo(t.Context(), sup)
		time.Sleep(1500 * time.Millisecond) // virtual: between two failures
		rgReadApis(t, sup)
		time.Sleep(time.Minute)
		got := ssDone(t, ch)
		esc, ok := got.(*supervisor.EscalationError)
		if !ok {
			t.Fatalf("Run: %T %v, want *EscalationError", got, got)
		}
		if esc.Err != err || esc.Child != "root/bad" {
			t.Errorf("escalation: child %q err %v", esc.Child, esc.Err)
		}
		_ = esc.Error()
	})
}

func TestSelfUnwrappingErrorEscalatesCleanly(t *testing.T) { rgBadErrorTree(t, &rgSelfErr{}) }

func TestPanickingUnwrapEscalatesCleanly(t *testing.T) { rgBadErrorTree(t, &rgPanicErr{}) }

// TestPanicNilIsAbnormalExit runs its scenario in a subprocess with
// GODEBUG=panicnil=1, where recover returns nil for panic(nil).
func TestPanicNilIsAbnormalExit(t *testing.T) {
	if os.Getenv("ARBOR_RG_PANICNIL") == "1" {
		rgPanicNilScenario(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicNilIsAbnormalExit$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ARBOR_RG_PANICNIL=1", "GODEBUG=panicnil=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rg-panicnil-scenario-ran") {
		t.Fatalf("subprocess: %v\n%s", err, out)
	}
}

func rgPanicNilScenario(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "p", Actor: actor.Func(func(ctx context.Context) error {
			if n.Add(1) == 1 {
				panic(nil)
			}
			return live.blocker()(ctx)
		})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		if got := ssInfo(t, sup, "p"); got.State != supervisor.StateRunning || got.Incarnation != 2 {
			t.Errorf("after panic(nil): %+v, want running incarnation 2", got)
		}
		if c := sup.Counters(); c.ExitsAbnormal != 1 {
			t.Errorf("counters after panic(nil): %+v", c)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
		t.Log("rg-panicnil-scenario-ran")
	})
}

func TestGoexitInInitIsStartError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var live rgLive
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: live.blocker()}),
			supervisor.WithInit(func(context.Context, *supervisor.Supervisor) error { runtime.Goexit(); return nil }))
		ch := ssGo(t.Context(), sup)
		err := ssDone(t, ch)
		var se *supervisor.StartError
		if !errors.As(err, &se) || !errors.Is(err, supervisor.ErrGoexit) {
			t.Errorf("Run: %v, want a *StartError wrapping ErrGoexit", err)
		}
		if n := live.n.Load(); n != 0 {
			t.Errorf("%d children leaked", n)
		}
	})
}

func TestGoexitThenPanickingDeferIsOneFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		var live rgLive
		var rec ssRec
		sup := ssNew(t, "root", supervisor.WithObserver(&rec), supervisor.WithChildren(supervisor.Child{Name: "g", Actor: actor.Func(func(ctx context.Context) error {
			if n.Add(1) == 1 {
				defer func() { panic("defer after Goexit") }()
				runtime.Goexit()
			}
			return live.blocker()(ctx)
		})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		if got := ssInfo(t, sup, "g"); got.State != supervisor.StateRunning || got.Incarnation != 2 {
			t.Errorf("after Goexit+panic: %+v, want running incarnation 2", got)
		}
		if c := sup.Counters(); c.ExitsAbnormal != 1 {
			t.Errorf("counters: %+v", c)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestOversizedObserverBufferRefused(t *testing.T) {
	for _, n := range []int{1 << 62, supervisor.MaxObserverBuffer + 1, 0, -1} {
		_, err := supervisor.New("root", supervisor.WithObserverBuffer(n))
		var ce *supervisor.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("WithObserverBuffer(%d): New returned %v, want a *ConfigError", n, err)
		}
	}
	sup := ssNew(t, "root")
	if _, err := sup.Subscribe(1 << 62); err == nil {
		t.Errorf("Subscribe(1<<62) accepted")
	}
}

// TestManyStuckChildrenReportedFromOneProfile: a shutdown that leaves
// many children stuck reports every one with its stack, within the budget,
// and takes one goroutine profile for them all: the bytes allocated per
// stuck child do not grow with their number (a profile per child would
// make them grow tenfold from 100 to 1,000).
func TestManyStuckChildrenReportedFromOneProfile(t *testing.T) {
	small := rgStuckShutdown(t, 100).Per(100)
	large := rgStuckShutdown(t, 1000).Per(1000)
	t.Logf("allocated per stuck child: %+v with 100, %+v with 1000", small, large)
	if !testutil.Linear(small, large, 3) {
		t.Errorf("the work per stuck child grows with their number: %+v with 100, %+v with 1000", small, large)
	}
}

// rgStuckShutdown stops a tree of n stuck children under a 100ms budget,
// checks the report, and returns the work done from cancel to Run's return.
func rgStuckShutdown(t *testing.T, n int) (w testutil.Work) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		specs := make([]supervisor.Child, n)
		for i := range specs {
			specs[i] = supervisor.Child{Name: "s" + itoa(i), Actor: ssStuckWorker(release)}
		}
		sup := ssNew(t, "root", supervisor.WithChildren(specs...), supervisor.WithShutdownBudget(100*time.Millisecond),
			supervisor.WithConcurrentShutdown(true))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		var err error
		w = testutil.CountWork(func() {
			t0 := time.Now()
			cancel()
			err = rgDoneWithin(t, ch, 100*time.Millisecond)
			if d := time.Since(t0); d > 100*time.Millisecond {
				t.Errorf("Run took %v of virtual time with a 100ms budget", d)
			}
		})
		var se *supervisor.StuckError
		if !errors.As(err, &se) {
			t.Fatalf("Run: %v, want *StuckError", err)
		}
		if len(se.Stuck) != n {
			t.Errorf("%d stuck reported, want %d", len(se.Stuck), n)
		}
		for _, st := range se.Stuck {
			if st.Stack == "" {
				t.Errorf("%s: empty stack (neither a stack nor a note that it was left out)", st.Path)
				break
			}
		}
	})
	return w
}

// TestDroppingTemporariesAllocatesNothing ends n and 4n temporary
// children together and counts what dropping them allocates: nothing per
// child at either size (a removal that copied or rebuilt what is left
// would allocate more per child the more there are). The time it takes
// is measured by BenchmarkEndTemporaries in internal/bench (ns/child the
// same at N=2,500 and N=10,000), never by a unit test.
func TestDroppingTemporariesAllocatesNothing(t *testing.T) {
	small := rgEndTemporaries(t, 2500).Per(2500)
	large := rgEndTemporaries(t, 10000).Per(10000)
	t.Logf("allocated per temporary dropped: %+v with 2500, %+v with 10000", small, large)
	if !testutil.Linear(small, large, 1.5) || large.Mallocs > 1 || large.Bytes > 64 {
		t.Errorf("dropping a temporary allocates: %+v per child with 2500, %+v with 10000", small, large)
	}
}

// rgEndTemporaries runs n temporary children, ends them together and
// returns the work done until the supervisor dropped them all.
func rgEndTemporaries(t *testing.T, n int) (w testutil.Work) {
	synctest.Test(t, func(t *testing.T) {
		end := make(chan struct{})
		specs := make([]supervisor.Child, n)
		for i := range specs {
			specs[i] = supervisor.Child{Name: "t" + itoa(i), Restart: policy.Temporary, Actor: actor.Func(func(ctx context.Context) error {
				<-end
				return nil
			})}
		}
		sup := ssNew(t, "root", supervisor.WithChildren(specs...))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		w = testutil.CountWork(func() {
			close(end)
			synctest.Wait()
		})
		if got := len(sup.Children()); got != 0 {
			t.Errorf("%d children left", got)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w
}
