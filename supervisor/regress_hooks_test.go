package supervisor_test

import (
	"context"
	"errors"
	"sync"
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

// rgHookErr is an error whose Error and Unwrap methods call into the
// supervisor.
type rgHookErr struct{ call func(string) }

func (e *rgHookErr) Error() string { e.call("Error"); return "hook error" }
func (e *rgHookErr) Unwrap() error { e.call("Unwrap"); return nil }

// TestHooksDoNotHoldLock calls Snapshot, Health, Children and Add from
// inside every kind of user hook. A hook called with the supervisor's lock
// held would deadlock the bubble (or never return).
func TestHooksDoNotHoldLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sup *supervisor.Supervisor
		var mu sync.Mutex
		seen := map[string]bool{}
		var names atomic.Int64
		var live rgLive
		call := func(hook string) {
			mu.Lock()
			first := !seen[hook]
			seen[hook] = true
			mu.Unlock()
			if !first {
				return
			}
			sup.Snapshot()
			sup.Health()
			sup.Children()
			sup.Readiness()
			err := sup.Add(supervisor.Child{Name: "added" + itoa(int(names.Add(1))), Actor: live.blocker()})
			if err != nil && !errors.Is(err, supervisor.ErrShuttingDown) && !errors.Is(err, supervisor.ErrNotRunning) {
				t.Errorf("Add from %s: %v", hook, err)
			}
		}
		core := &testutil.HookCore{OnWrite: func(zapcore.Entry) { call("core.Write") }}
		var fails atomic.Int64
		failing := actor.Func(func(ctx context.Context) error {
			call("actor.Run")
			if fails.Add(1) <= 2 {
				return &rgHookErr{call: call}
			}
			return live.blocker()(ctx)
		})
		var err error
		sup, err = supervisor.New("root",
			supervisor.WithLogger(zap.New(core)),
			supervisor.WithObserver(supervisor.ObserverFunc(func(supervisor.Event) { call("Observe") })),
			supervisor.WithJitter(func() float64 { call("jitter"); return 0.5 }),
			supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: time.Second, Jitter: 0.5}),
			supervisor.WithInit(func(ctx context.Context, s *supervisor.Supervisor) error { call("init"); return nil }),
			supervisor.WithChildren(supervisor.Child{Name: "f", Actor: failing,
				Decider: func(err error) policy.Directive { call("Decider"); return policy.Restart }}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		time.Sleep(10 * time.Second)
		ssRunning(t, ch)
		cancel()
		_ = rgDoneWithin(t, ch, time.Minute)
		for _, hook := range []string{"core.Write", "Observe", "jitter", "init", "actor.Run", "Decider", "Error", "Unwrap"} {
			if !seen[hook] {
				t.Errorf("hook %s was not called", hook)
			}
		}
	})
}
