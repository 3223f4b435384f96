package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// ssEntries returns "LEVEL message" for every entry.
func ssEntries(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.All() {
		out = append(out, e.Level.CapitalString()+" "+e.Message)
	}
	return out
}

func TestLogLifecycleEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		logger, logs := ssLogger(zapcore.DebugLevel)
		n := 0
		sup := ssNew(t, "root", supervisor.WithLogger(logger), supervisor.WithChildren(
			supervisor.Child{Name: "a", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
				n++
				actor.Ready(ctx)
				if n == 1 {
					time.Sleep(time.Second)
					return boom
				}
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(time.Minute)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		ssWant(t, "entries", ssEntries(logs), []string{
			"DEBUG started", "DEBUG ready", "WARN failed; restarting", "DEBUG started", "DEBUG ready",
			"INFO shutting down", "DEBUG stopped",
		})
		wantInc := []int64{1, 1, 1, 2, 2, 0, 2}
		wantRestarts := []int64{0, 0, 1, 1, 1, 0, 1}
		for i, e := range logs.All() {
			f := ssFields(e)
			if f["supervisor"] != "root" {
				t.Errorf("entry %d %q: supervisor = %v", i, e.Message, f["supervisor"])
			}
			if e.Message == "shutting down" {
				continue
			}
			if f["path"] != "root/a" || f["child"] != "a" || f["incarnation"] != uint64(wantInc[i]) || f["restarts"] != wantRestarts[i] {
				t.Errorf("entry %d %q: fields %v, want path root/a, child a, incarnation %d, restarts %d",
					i, e.Message, f, wantInc[i], wantRestarts[i])
			}
			if _, has := f["error"]; has != (e.Level == zapcore.WarnLevel) {
				t.Errorf("entry %d %q: error field present = %v", i, e.Message, has)
			}
		}
		if f := ssFields(logs.FilterLevelExact(zapcore.WarnLevel).All()[0]); f["error"] != "boom" {
			t.Errorf("restart entry error = %v, want boom", f["error"])
		}
	})
}

func TestLogEscalationAtError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := ssLogger(zapcore.DebugLevel)
		sup := ssNew(t, "root", supervisor.WithLogger(logger),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(context.Context) error {
				return errors.New("boom")
			})}))
		err := sup.Run(t.Context())
		var esc *supervisor.EscalationError
		if !errors.As(err, &esc) {
			t.Fatalf("Run = %v, want escalation", err)
		}
		got := ssEntries(logs)
		ssWant(t, "entries", got, []string{
			"DEBUG started", "ERROR restart intensity exceeded", "ERROR giving up; escalating", "INFO shutting down",
		})
		f := ssFields(logs.FilterMessage("giving up; escalating").All()[0])
		if f["supervisor"] != "root" || f["error"] != err.Error() {
			t.Errorf("escalation entry fields = %v", f)
		}
	})
}

func TestLogRateLimit(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprintf("panics=%v", panics), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testLogRateLimit(t, panics) })
		})
	}
}

func testLogRateLimit(t *testing.T, panics bool) {
	logger, logs := ssLogger(zapcore.DebugLevel)
	sup := ssNew(t, "root", supervisor.WithLogger(logger),
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
		supervisor.WithLogRateLimit(3, time.Minute),
		supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
			if !ssSleep(ctx, time.Second) {
				return nil
			}
			if panics {
				panic("kaput")
			}
			return errors.New("boom")
		})}))
	t0 := time.Now()
	ctx, cancel := context.WithCancel(t.Context())
	done := ssGo(ctx, sup)
	time.Sleep(65*time.Second + 500*time.Millisecond) // 65 failures, at 1s, 2s, ..., 65s
	cancel()
	if err := ssDone(t, done); err != nil {
		t.Fatalf("Run = %v", err)
	}
	var at []string
	stacks := 0
	for _, e := range logs.FilterMessage("failed; restarting").All() {
		at = append(at, e.Time.Sub(t0).String())
		if e.Stack != "" {
			stacks++
		}
	}
	ssWant(t, "restart entries", at, []string{"1s", "2s", "3s", "1m1s", "1m2s", "1m3s"})
	sup1 := logs.FilterMessage("failure entries suppressed").All()
	// One count when the next period begins, and one flushed when the
	// supervisor stops within the second period (those would be lost).
	if len(sup1) != 2 || ssFields(sup1[0])["suppressed"] != int64(57) || sup1[0].Time.Sub(t0) != 61*time.Second ||
		ssFields(sup1[1])["suppressed"] != int64(2) {
		t.Errorf("suppressed entries = %v, want one at 61s with suppressed=57, then one flushed with suppressed=2", sup1)
	}
	// Each carries the fields of the last entry it stands for: the failures
	// at 60s and 65s, of incarnations 60 and 65.
	for i, want := range []int64{60, 65} {
		if i >= len(sup1) {
			break
		}
		f := ssFields(sup1[i])
		if f["supervisor"] != "root" || f["path"] != "root/a" || f["child"] != "a" ||
			f["incarnation"] != uint64(want) || f["restarts"] != want {
			t.Errorf("suppressed entry %d fields = %v, want those of incarnation %d, restarts %d", i, f, want, want)
		}
	}
	if want := map[bool]int{false: 0, true: 2}[panics]; stacks != want {
		t.Errorf("%d entries with a stack, want %d (once per period)", stacks, want)
	}
}

func TestLoggerAndPathFromContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := ssLogger(zapcore.InfoLevel)
		var mu sync.Mutex
		paths := map[string]string{}
		hello := func(name string) actor.Func {
			return func(ctx context.Context) error {
				mu.Lock()
				paths[name] = supervisor.Path(ctx)
				mu.Unlock()
				supervisor.Logger(ctx).Info("hello " + name)
				<-ctx.Done()
				return nil
			}
		}
		mid := ssNew(t, "mid", supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: hello("leaf")}))
		sup := ssNew(t, "root", supervisor.WithLogger(logger), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: hello("a")},
			supervisor.Child{Name: "mid", Actor: mid},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		if paths["a"] != "root/a" || paths["leaf"] != "root/mid/leaf" {
			t.Errorf("Path = %v", paths)
		}
		for name, want := range map[string]string{"a": "root/a", "leaf": "root/mid/leaf"} {
			es := logs.FilterMessage("hello " + name).All()
			if len(es) != 1 || ssFields(es[0])["path"] != want {
				t.Errorf("entries for %s = %v, want one with path %s", name, es, want)
			}
		}
		if supervisor.Path(context.Background()) != "" || supervisor.Logger(context.Background()) == nil {
			t.Error("Path/Logger outside a supervisor")
		}
	})
}

func TestObserverEventsInSeqOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		rec := &ssRec{}
		n := 0
		sup := ssNew(t, "root", supervisor.WithObserver(rec), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
				if n++; n == 1 {
					return boom
				}
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		ssWant(t, "events", rec.kinds(), []string{
			"started root/a", "failed root/a", "restarting root/a", "started root/a", "shutdown root", "stopped root/a",
		})
		wantInc := []uint64{1, 1, 1, 2, 0, 2}
		wantRestarts := []int{0, 0, 1, 1, 0, 1}
		for i, e := range rec.all() {
			if e.Seq != uint64(i+1) || e.Supervisor != "root" || e.Incarnation != wantInc[i] || e.Restarts != wantRestarts[i] {
				t.Errorf("event %d = %+v, want seq %d, incarnation %d, restarts %d", i, e, i+1, wantInc[i], wantRestarts[i])
			}
			if (e.Kind == supervisor.EventFailed || e.Kind == supervisor.EventRestarting) != (e.Err == boom) {
				t.Errorf("event %d %v: Err = %v", i, e.Kind, e.Err)
			}
			if e.Kind == supervisor.EventRestarting && e.Attempt != 1 {
				t.Errorf("restarting Attempt = %d, want 1", e.Attempt)
			}
			if e.Kind == supervisor.EventStarted && e.Child != "a" {
				t.Errorf("started Child = %q", e.Child)
			}
		}
	})
}

func TestSlowObserverDoesNotStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &ssRec{}
		release := make(chan struct{})
		slow := supervisor.ObserverFunc(func(e supervisor.Event) {
			<-release
			rec.Observe(e)
		})
		sup := ssNew(t, "root", supervisor.WithObserver(slow), supervisor.WithObserverBuffer(4),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
				ssSleep(ctx, time.Second)
				return errors.New("boom")
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(20*time.Second + 500*time.Millisecond)
		ssRunning(t, done)
		if info := ssInfo(t, sup, "a"); info.Restarts != 20 {
			t.Fatalf("a restarted %d times in 20.5s with a stalled observer, want 20", info.Restarts)
		}
		close(release)
		synctest.Wait()
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		var dropped uint64
		for _, e := range rec.all() {
			if e.Kind == supervisor.EventObserverDropped {
				dropped += e.Dropped
			}
		}
		if dropped == 0 {
			t.Fatalf("no observer_dropped event with Dropped > 0 in %q", rec.kinds())
		}
		// 1 delivered + 4 queued + dropped = every event up to the release.
		if got := uint64(rec.count(supervisor.EventFailed, "")); got >= 20 {
			t.Errorf("slow observer saw %d failures: nothing was dropped", got)
		}
	})
}

func TestPanickingObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := ssLogger(zapcore.ErrorLevel)
		rec, healthy := &ssRec{}, &ssRec{}
		bad := supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventStarted {
				panic("observer bug")
			}
			rec.Observe(e)
		})
		n := 0
		sup := ssNew(t, "root", supervisor.WithLogger(logger), supervisor.WithObserver(bad), supervisor.WithObserver(healthy),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
				if n++; n == 1 {
					return errors.New("boom")
				}
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		if info := ssInfo(t, sup, "a"); info.Restarts != 1 || info.State != supervisor.StateRunning {
			t.Errorf("a = %+v, want restarted once and running", info)
		}
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		ssWant(t, "panicking observer", rec.kinds(), []string{
			"failed root/a", "restarting root/a", "shutdown root", "stopped root/a",
		})
		ssWant(t, "healthy observer", healthy.kinds(), []string{
			"started root/a", "failed root/a", "restarting root/a", "started root/a", "shutdown root", "stopped root/a",
		})
		if n := logs.FilterMessage("observer panicked").Len(); n != 2 {
			t.Errorf("%d 'observer panicked' entries, want 2", n)
		}
	})
}

func TestObserverInheritedByChildSupervisor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, own := &ssRec{}, &ssRec{}
		mid := ssNew(t, "mid", supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: ssBlocker("leaf", ssNewLog(), 0)}))
		other := ssNew(t, "other", supervisor.WithObserver(own),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: ssBlocker("leaf", ssNewLog(), 0)}))
		sup := ssNew(t, "root", supervisor.WithObserver(rec), supervisor.WithChildren(
			supervisor.Child{Name: "mid", Actor: mid},
			supervisor.Child{Name: "other", Actor: other},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		var midKinds []string
		var seqs []uint64
		for _, e := range rec.all() {
			switch {
			case e.Supervisor == "root/mid":
				midKinds = append(midKinds, e.Kind.String()+" "+e.Path)
				seqs = append(seqs, e.Seq)
			case e.Supervisor != "root":
				t.Errorf("root's observer got %+v from a supervisor with its own observer", e)
			}
		}
		ssWant(t, "mid's events", midKinds, []string{"started root/mid/leaf", "shutdown root/mid", "stopped root/mid/leaf"})
		if fmt.Sprint(seqs) != "[1 2 3]" {
			t.Errorf("mid's seqs = %v, want [1 2 3]", seqs)
		}
		if got := own.kinds(); len(got) != 3 || !strings.HasPrefix(got[0], "started root/other/leaf") {
			t.Errorf("other's own observer got %q", got)
		}
	})
}

func TestStopDeadlineFromContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type seen struct {
			before, after bool
			at            time.Duration
		}
		var mu sync.Mutex
		got := map[string]seen{}
		t0 := time.Now()
		w := func(name string) actor.Func {
			return func(ctx context.Context) error {
				_, before := supervisor.StopDeadline(ctx)
				<-ctx.Done()
				d, after := supervisor.StopDeadline(ctx)
				mu.Lock()
				got[name] = seen{before, after, d.Sub(t0)}
				mu.Unlock()
				return nil
			}
		}
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "inf", Actor: w("inf"), ShutdownTimeout: policy.Infinity},
			supervisor.Child{Name: "three", Actor: w("three"), ShutdownTimeout: 3 * time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(time.Minute)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		if s := got["three"]; s.before || !s.after || s.at != time.Minute+3*time.Second {
			t.Errorf("three: %+v, want no deadline before the stop, then 1m3s", s)
		}
		if s := got["inf"]; s.before || s.after {
			t.Errorf("inf: %+v, want no deadline (infinite timeout)", s)
		}
		if _, ok := supervisor.StopDeadline(context.Background()); ok {
			t.Error("StopDeadline outside a supervisor reports a deadline")
		}
	})
}
