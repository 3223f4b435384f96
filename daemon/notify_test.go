package daemon_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// gated is a Notifier that records like notes but blocks, while its gate
// is closed, in every call for a message that block selects (every message
// when block is nil), as a service manager that stopped reading would.
type gated struct {
	notes
	block   func(state string) bool
	release chan struct{} // closed, by open, to open the gate
	once    sync.Once
	calls   chan string // each message that blocked, as it blocks; buffered
}

// newGated returns a gated notifier whose gate opens at the latest when
// the test ends (so that a failing test's bubble can end).
func newGated(t *testing.T, block func(string) bool) *gated {
	g := &gated{block: block, release: make(chan struct{}), calls: make(chan string, 100)}
	t.Cleanup(g.open)
	return g
}

// open opens the gate, once.
func (g *gated) open() { g.once.Do(func() { close(g.release) }) }

// releasedAtEnd returns a channel for stubborn that is closed when the
// test ends.
func releasedAtEnd(t *testing.T) chan struct{} {
	ch := make(chan struct{})
	t.Cleanup(func() { close(ch) })
	return ch
}

// Notify blocks until the gate opens if state is selected, then records it.
func (g *gated) Notify(state string) error {
	if g.block == nil || g.block(state) {
		select {
		case <-g.release:
		default:
			g.calls <- state
			<-g.release
		}
	}
	return g.notes.Notify(state)
}

// noticed returns an actor that runs until cancelled and closes cancelled
// when its context is.
func noticed(cancelled chan<- struct{}) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		<-ctx.Done()
		close(cancelled)
		return nil
	})
}

// The first signal cancels the tree at once, whatever the notifier does:
// STOPPING=1 is queued behind a READY=1 the notifier has not taken yet,
// and both are sent, in order, once it takes them.
func TestSignalCancelsTheTreeWhileTheNotifierBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := make(chan struct{})
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: noticed(cancelled)}))
		g := newGated(t, nil)
		h := start(t.Context(), root, daemon.WithNotifier(g))
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		select {
		case <-cancelled:
		default:
			t.Fatal("the tree was not cancelled while the notifier blocked on READY=1")
		}
		g.open()
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK || r.err != nil {
			t.Fatalf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
		if got := g.all(); len(got) < 2 || !slices.Equal(got[:2], []string{"READY=1", "STOPPING=1"}) {
			t.Errorf("notifications %q, want READY=1 then STOPPING=1", got)
		}
		if n := h.logs.FilterMessageSnippet("abandoned").Len(); n != 0 {
			t.Errorf("%d entries about an abandoned notifier; it was released in time", n)
		}
	})
}

// A notifier still blocked when the tree has stopped is abandoned: Run
// returns, and says so once.
func TestNotifierBlockedAtTheEndIsAbandonedAndLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
		g := newGated(t, nil)
		h := start(t.Context(), root, daemon.WithNotifier(g), daemon.WithWatchdog(time.Second))
		time.Sleep(5 * time.Second)
		h.sigs <- syscall.SIGTERM
		time.Sleep(time.Minute)
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK || r.err != nil {
			t.Fatalf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
		if e := h.logs.FilterMessageSnippet("abandoned").All(); len(e) != 1 || e[0].ContextMap()["state"] != "READY=1" {
			t.Errorf("entries about the abandoned notifier: %v; want one, naming READY=1", e)
		}
		g.open()
		synctest.Wait()
		if got := g.all(); !slices.Equal(got, []string{"READY=1"}) {
			t.Errorf("notifications after Run returned: %q; want only the call in progress, READY=1", got)
		}
	})
}

// The second signal ends Run at once, though the notifier blocks.
func TestSecondSignalEndsRunWhileTheNotifierBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := releasedAtEnd(t)
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: policy.Infinity}))
		g := newGated(t, nil)
		h := start(t.Context(), root, daemon.WithNotifier(g))
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		h.sigs <- syscall.SIGINT
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitInterrupted || !errors.Is(r.err, daemon.ErrInterrupted) {
			t.Fatalf("Run = %d, %v; want 130, ErrInterrupted", r.code, r.err)
		}
	})
}

// The shutdown budget ends Run though the notifier blocks: at the budget,
// plus at most the wait for the last notifications.
func TestBudgetEndsRunWhileTheNotifierBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := releasedAtEnd(t)
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: policy.Infinity}))
		g := newGated(t, nil)
		h := start(t.Context(), root, daemon.WithNotifier(g), daemon.WithShutdownBudget(10*time.Second))
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		sigAt := time.Now()
		time.Sleep(time.Minute)
		synctest.Wait()
		r := h.result(t)
		var be *daemon.BudgetError
		if r.code != daemon.ExitFailure || !errors.As(r.err, &be) {
			t.Fatalf("Run = %d, %v; want 1 and a *BudgetError", r.code, r.err)
		}
		if took := r.at.Sub(sigAt); took > 11*time.Second {
			t.Errorf("Run returned %v after the signal; want at most the budget (10s) and the 1s wait for the last notifications", took)
		}
	})
}

// While the notifier blocks, the watchdog pings coalesce into one, and
// STATUS= keeps only the latest line: what the service manager gets once
// it reads again is the present, not a backlog.
func TestNotificationsCoalesceWhileTheNotifierBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		giveUp := func(after time.Duration) *supervisor.Supervisor {
			return newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
				supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: failAfter(after)}))
		}
		root := newRoot(t, supervisor.WithChildren(
			supervisor.Child{Name: "sub1", Actor: giveUp(time.Second)},
			supervisor.Child{Name: "sub2", Actor: giveUp(2 * time.Second)}))
		g := newGated(t, func(s string) bool { return s == "READY=1" })
		h := start(t.Context(), root, daemon.WithNotifier(g), daemon.WithWatchdog(time.Second))
		time.Sleep(10*time.Second + 250*time.Millisecond) // 20 ticks of the watchdog, two escalations
		synctest.Wait()
		g.open()
		synctest.Wait()
		want := []string{"READY=1", "STATUS=root/sub2 gave up: 0 restarts in 1s, then root/sub2/leaf failed: boom"}
		if got := g.all(); !slices.Equal(got, want) {
			t.Errorf("notifications once the notifier took them again: %q, want %q", got, want)
		}
		if n, _ := g.pings(); n != 1 {
			t.Errorf("%d pings once the notifier took them again, want 1", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n, _ := g.pings(); n != 5 {
			t.Errorf("%d pings 2s later, want 5: one every 500ms again", n)
		}
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK {
			t.Fatalf("Run = %d, %v; want 0", r.code, r.err)
		}
		if got := g.all(); !slices.Equal(got[:3], append(want, "STOPPING=1")) {
			t.Errorf("notifications %q, want STOPPING=1 after the status", got)
		}
	})
}

// A notifier that panics is a failed notification, logged, nothing more.
func TestNotifierPanicIsAFailedNotification(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
		bad := daemon.NotifierFunc(func(string) error { panic("notifier bug") })
		h := start(t.Context(), root, daemon.WithNotifier(bad))
		synctest.Wait()
		h.sigs <- syscall.SIGTERM
		synctest.Wait()
		if r := h.result(t); r.code != daemon.ExitOK {
			t.Fatalf("Run = %d, %v; want 0", r.code, r.err)
		}
		e := h.logs.FilterMessageSnippet("notification failed").All()
		if len(e) == 0 || !strings.Contains(e[0].ContextMap()["error"].(string), "notifier bug") {
			t.Errorf("entries %v: want the panic logged as a failed notification", e)
		}
	})
}
