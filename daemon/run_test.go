package daemon_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// notes records the notifications Run sends, with their (virtual) times.
type notes struct {
	mu     sync.Mutex
	states []string
	at     []time.Time
}

// Notify records state. It implements daemon.Notifier.
func (n *notes) Notify(state string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.states = append(n.states, state)
	n.at = append(n.at, time.Now())
	return nil
}

// all returns the notifications other than watchdog pings, in order.
func (n *notes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, s := range n.states {
		if s != "WATCHDOG=1" {
			out = append(out, s)
		}
	}
	return out
}

// pings returns how many WATCHDOG=1 were sent, and the time of the last.
func (n *notes) pings() (count int, last time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, s := range n.states {
		if s == "WATCHDOG=1" {
			count++
			last = n.at[i]
		}
	}
	return count, last
}

// result is what Run returned.
type result struct {
	code int
	err  error
	at   time.Time // when Run returned
}

// harness runs daemon.Run in a goroutine with injected signals, notifier
// and logger, and no watchdog unless opts set one.
type harness struct {
	sigs  chan os.Signal
	notes *notes
	logs  *observer.ObservedLogs
	done  chan result
}

func start(ctx context.Context, root *supervisor.Supervisor, opts ...daemon.Option) *harness {
	log, logs := supervisortest.ObservedLogger(zapcore.DebugLevel)
	h := &harness{sigs: make(chan os.Signal, 2), notes: &notes{}, logs: logs, done: make(chan result, 1)}
	all := append([]daemon.Option{daemon.WithSignals(h.sigs), daemon.WithNotifier(h.notes),
		daemon.WithLogger(log), daemon.WithWatchdog(0)}, opts...)
	go func() {
		code, err := daemon.Run(ctx, root, all...)
		h.done <- result{code, err, time.Now()}
	}()
	return h
}

// result returns what Run returned; the caller has made sure that it has.
func (h *harness) result(t *testing.T) result {
	t.Helper()
	select {
	case r := <-h.done:
		return r
	default:
		t.Fatal("Run has not returned")
		return result{}
	}
}

// blocker runs until its context is cancelled.
func blocker() actor.Actor { return testutil.Blocker }

// stubborn ignores cancellation until release is closed.
func stubborn(release <-chan struct{}) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		<-release
		return nil
	})
}

// failAfter fails once, d after it starts, then blocks like blocker.
func failAfter(d time.Duration) actor.Actor {
	var once sync.Once
	return actor.Func(func(ctx context.Context) error {
		fail := false
		once.Do(func() { fail = true })
		if fail {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return errors.New("boom")
			case <-ctx.Done():
				return nil
			}
		}
		<-ctx.Done()
		return nil
	})
}

func newRoot(t *testing.T, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	root, err := supervisor.New("root", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRunCleanStopOnSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
		h := start(t.Context(), root)
		synctest.Wait()
		if got := h.notes.all(); !slices.Equal(got, []string{"READY=1"}) {
			t.Fatalf("notifications before the signal: %q, want READY=1", got)
		}
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		r := h.result(t)
		if r.code != daemon.ExitOK || r.err != nil {
			t.Fatalf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
		if got := h.notes.all(); !slices.Equal(got, []string{"READY=1", "STOPPING=1", "STATUS=stopped cleanly"}) {
			t.Errorf("notifications: %q, want READY=1, STOPPING=1, STATUS=stopped cleanly", got)
		}
		if n := h.logs.FilterMessage("stopped cleanly").Len(); n != 1 {
			t.Errorf("%d \"stopped cleanly\" entries, want 1", n)
		}
	})
}

func TestRunCleanStopOnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
		h := start(ctx, root)
		synctest.Wait()
		cancel()
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK || r.err != nil {
			t.Fatalf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
		if got := h.notes.all(); !slices.Equal(got, []string{"READY=1", "STOPPING=1", "STATUS=stopped cleanly"}) {
			t.Errorf("notifications: %q, want READY=1, STOPPING=1, STATUS=stopped cleanly", got)
		}
	})
}

// A nested supervisor gives up and is restarted by the root: one STATUS=
// line; the process goes on until the signal.
func TestRunStatusOnNestedEscalation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sub := newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: failAfter(time.Second)}))
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		h := start(t.Context(), root)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		want := []string{"READY=1", "STATUS=root/sub gave up: 0 restarts in 1s, then root/sub/leaf failed: boom"}
		if got := h.notes.all(); !slices.Equal(got, want) {
			t.Fatalf("notifications: %q, want %q", got, want)
		}
		h.sigs <- syscall.SIGINT
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK || r.err != nil {
			t.Fatalf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
		if got := h.notes.all(); !slices.Equal(got, append(want, "STOPPING=1", "STATUS=stopped cleanly")) {
			t.Errorf("notifications: %q, want STOPPING=1, then STATUS=stopped cleanly", got)
		}
	})
}

// The root gives up by itself: STATUS=, then STOPPING=1, exit status 1 and
// the escalation logged once.
func TestRunRootGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: failAfter(time.Second)}))
		h := start(t.Context(), root)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		r := h.result(t)
		var esc *supervisor.EscalationError
		if r.code != daemon.ExitFailure || !errors.As(r.err, &esc) {
			t.Fatalf("Run = %d, %v; want 1 and an *EscalationError", r.code, r.err)
		}
		want := []string{"READY=1", "STATUS=root gave up: 0 restarts in 1s, then root/leaf failed: boom", "STOPPING=1"}
		if got := h.notes.all(); !slices.Equal(got, want) {
			t.Errorf("notifications: %q, want %q", got, want)
		}
		if n := h.logs.FilterMessage("stopped with an error").Len(); n != 1 || h.logs.FilterLevelExact(zapcore.ErrorLevel).Len() != 1 {
			t.Errorf("final error logged %d times, error entries %d; want once:\n%v", n,
				h.logs.FilterLevelExact(zapcore.ErrorLevel).Len(), h.logs.All())
		}
	})
}

func TestRunStartFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := actor.Func(func(ctx context.Context) error { return errors.New("cannot bind") })
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "http", Actor: bad, WaitReady: true}))
		h := start(t.Context(), root)
		synctest.Wait()
		r := h.result(t)
		var se *supervisor.StartError
		if r.code != daemon.ExitFailure || !errors.As(r.err, &se) {
			t.Fatalf("Run = %d, %v; want 1 and a *StartError", r.code, r.err)
		}
		if got := h.notes.all(); slices.Contains(got, "READY=1") {
			t.Errorf("notifications %q: READY=1 after a failed start", got)
		}
	})
}

func TestRunSecondSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "w", Actor: blocker()},
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: policy.Infinity}))
		h := start(t.Context(), root)
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		r := h.result(t)
		if r.code != daemon.ExitInterrupted || !errors.Is(r.err, daemon.ErrInterrupted) {
			t.Fatalf("Run = %d, %v; want 130, ErrInterrupted", r.code, r.err)
		}
		e := h.logs.FilterMessageSnippet("second signal").All()
		if len(e) != 1 || !slices.Equal(e[0].ContextMap()["remaining"].([]any), []any{"root/w (running)", "root/stubborn (stopping)"}) {
			t.Errorf("second-signal entries: %v; want one, with the children still running", e)
		}
		close(release) // let the abandoned tree end before the bubble does
	})
}

func TestRunShutdownBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: policy.Infinity}))
		h := start(t.Context(), root, daemon.WithShutdownBudget(10*time.Second))
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		select {
		case r := <-h.done:
			t.Fatalf("Run returned %d, %v before the budget was spent", r.code, r.err)
		default:
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		r := h.result(t)
		var be *daemon.BudgetError
		if r.code != daemon.ExitFailure || !errors.As(r.err, &be) {
			t.Fatalf("Run = %d, %v; want 1 and a *BudgetError", r.code, r.err)
		}
		if !slices.Equal(be.Remaining, []string{"root/stubborn (stopping)"}) || be.Budget != 10*time.Second {
			t.Errorf("BudgetError %+v; want 10s and root/stubborn (stopping)", be)
		}
		want := "daemon: the tree did not stop within its shutdown budget of 10s; still running: root/stubborn (stopping)"
		if be.Error() != want {
			t.Errorf("Error() = %q, want %q", be.Error(), want)
		}
		if got := h.notes.all(); !slices.Equal(got, []string{"READY=1", "STOPPING=1", "STATUS=" + want}) {
			t.Errorf("notifications: %q", got)
		}
		close(release)
	})
}

// A child that does not stop within its shutdown timeout: the root returns
// a *StuckError, the exit status is 1, and the final entry carries the
// stuck report.
func TestRunStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: time.Second}))
		h := start(t.Context(), root)
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		time.Sleep(time.Second)
		synctest.Wait()
		r := h.result(t)
		var se *supervisor.StuckError
		if r.code != daemon.ExitFailure || !errors.As(r.err, &se) {
			t.Fatalf("Run = %d, %v; want 1 and a *StuckError", r.code, r.err)
		}
		want := []string{"READY=1", "STOPPING=1", "STATUS=root/stubborn is stuck: it did not stop within 1s"}
		if got := h.notes.all(); !slices.Equal(got, want) {
			t.Errorf("notifications: %q, want %q", got, want)
		}
		e := h.logs.FilterMessage("stopped with an error").All()
		if len(e) != 1 {
			t.Fatalf("%d final entries, want 1", len(e))
		}
		stuck, _ := e[0].ContextMap()["stuck"].([]any)
		if len(stuck) != 1 || stuck[0].(map[string]any)["path"] != "root/stubborn" ||
			!strings.Contains(stuck[0].(map[string]any)["stack"].(string), "stubborn") {
			t.Errorf("stuck report %v: want root/stubborn with its stack", stuck)
		}
		close(release)
	})
}

// The watchdog pings every half timeout while the tree is alive, stops
// while a child is stuck, and resumes once it has returned.
func TestRunWatchdog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: time.Second}))
		h := start(t.Context(), root, daemon.WithWatchdog(2*time.Second))
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		if n, _ := h.notes.pings(); n != 3 {
			t.Fatalf("%d pings in 3.5s with a 2s watchdog, want 3", n)
		}
		// Remove waits 1s for the child, then reports it stuck.
		var se *supervisor.StuckError
		if err := root.Remove("stubborn"); !errors.As(err, &se) {
			t.Fatalf("Remove = %v, want a *StuckError", err)
		}
		stuckAt := time.Now()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n, last := h.notes.pings(); n != 4 || last.After(stuckAt) {
			t.Errorf("%d pings, the last at +%v after the child got stuck; want 4, none after", n, last.Sub(stuckAt))
		}
		close(release) // the stuck goroutine returns: alive again
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n, _ := h.notes.pings(); n != 6 {
			t.Errorf("%d pings after the stuck child returned, want 6", n)
		}
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK {
			t.Errorf("Run = %d, %v; want 0", r.code, r.err)
		}
	})
}

// A failing notifier is logged once at Warn, then at Debug, and changes
// nothing else.
func TestRunNotifyFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
		bad := daemon.NotifierFunc(func(string) error { return errors.New("no socket") })
		h := start(t.Context(), root, daemon.WithNotifier(bad), daemon.WithWatchdog(time.Second))
		time.Sleep(3 * time.Second)
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK {
			t.Fatalf("Run = %d, %v; want 0", r.code, r.err)
		}
		failed := h.logs.FilterMessageSnippet("notification failed")
		if failed.FilterLevelExact(zapcore.WarnLevel).Len() != 1 || failed.Len() < 5 {
			t.Errorf("notification failures: %d logged, %d at Warn; want all logged, one at Warn",
				failed.Len(), failed.FilterLevelExact(zapcore.WarnLevel).Len())
		}
	})
}
