package daemon_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// gatedCore is a zap core whose writes block while its gate is closed, as
// a logger writing to a pipe nobody reads does. It records the messages it
// wrote.
type gatedCore struct {
	testutil.HookCore // OnWrite waits for the gate, then records the message
	release           chan struct{}
	once              sync.Once
	mu                sync.Mutex
	msgs              []string // guarded by mu
}

func newGatedCore(t *testing.T) *gatedCore {
	c := &gatedCore{release: make(chan struct{})}
	c.OnWrite = func(e zapcore.Entry) {
		<-c.release
		c.mu.Lock()
		c.msgs = append(c.msgs, e.Message)
		c.mu.Unlock()
	}
	t.Cleanup(c.open)
	return c
}

func (c *gatedCore) open()             { c.once.Do(func() { close(c.release) }) }
func (c *gatedCore) written() []string { c.mu.Lock(); defer c.mu.Unlock(); return slices.Clone(c.msgs) }

// runWithLogger runs daemon.Run with log as its logger and injected
// signals and notes.
func runWithLogger(root *supervisor.Supervisor, log *zap.Logger, opts ...daemon.Option) (chan<- os.Signal, <-chan result, *notes) {
	sigs := make(chan os.Signal, 2)
	done := make(chan result, 1)
	n := &notes{}
	all := append([]daemon.Option{daemon.WithSignals(sigs), daemon.WithNotifier(n), daemon.WithLogger(log),
		daemon.WithWatchdog(0)}, opts...)
	go func() {
		code, err := daemon.Run(context.Background(), root, all...)
		done <- result{code, err, time.Now()}
	}()
	return sigs, done, n
}

// A logger whose writes block does not make Run deaf: the first signal
// cancels the tree, and Run returns though its entries wait.
func TestSignalCancelsTheTreeWhileTheLoggerBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := make(chan struct{})
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: noticed(cancelled)}))
		core := newGatedCore(t)
		sigs, done, _ := runWithLogger(root, zap.New(core))
		synctest.Wait()
		sigs <- syscall.SIGTERM
		synctest.Wait()
		select {
		case <-cancelled:
		default:
			t.Fatal("the tree was not cancelled while the logger blocked")
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		select {
		case r := <-done:
			if r.code != daemon.ExitOK || r.err != nil {
				t.Errorf("Run = %d, %v; want 0, nil", r.code, r.err)
			}
		default:
			t.Fatal("Run has not returned while the logger blocked")
		}
	})
}

// The second signal and the budget end Run though the logger blocks.
func TestSecondSignalAndBudgetEndRunWhileTheLoggerBlocks(t *testing.T) {
	for _, tc := range []struct {
		name string
		sigs int
		want int
	}{{"second signal", 2, daemon.ExitInterrupted}, {"budget", 1, daemon.ExitFailure}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "stubborn",
					Actor: stubborn(releasedAtEnd(t)), ShutdownTimeout: policy.Infinity}))
				sigs, done, _ := runWithLogger(root, zap.New(newGatedCore(t)), daemon.WithShutdownBudget(10*time.Second))
				synctest.Wait()
				for range tc.sigs {
					sigs <- syscall.SIGTERM
				}
				time.Sleep(time.Minute)
				synctest.Wait()
				select {
				case r := <-done:
					var be *daemon.BudgetError
					if r.code != tc.want || (tc.want == daemon.ExitFailure && !errors.As(r.err, &be)) {
						t.Errorf("Run = %d, %v; want %d", r.code, r.err, tc.want)
					}
				default:
					t.Fatal("Run has not returned while the logger blocked")
				}
			})
		})
	}
}

// A logger that is only slow gets every entry, in order, before Run
// returns.
func TestSlowLoggerGetsEveryEntryBeforeRunReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
		core := newGatedCore(t)
		sigs, done, _ := runWithLogger(root, zap.New(core))
		synctest.Wait()
		sigs <- syscall.SIGTERM
		synctest.Wait()
		core.open()
		synctest.Wait()
		if r := <-done; r.code != daemon.ExitOK {
			t.Fatalf("Run = %d, %v; want 0", r.code, r.err)
		}
		want := []string{"tree ready", "signal received; shutting down (send it again to exit at once)", "stopped cleanly"}
		if got := core.written(); !slices.Equal(got, want) {
			t.Errorf("entries %q, want %q", got, want)
		}
	})
}
