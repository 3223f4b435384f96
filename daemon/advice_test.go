package daemon_test

import (
	"context"
	"errors"
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

// The README's advice on network-facing workers, checked: with the
// defaults, a 2-second outage of a dependency ends the process at once;
// with the advised backoff and intensity it is waited out, and an outage
// that does not end is given up on after about a minute.

// dependency is a remote service that can go down and come back.
type dependency struct {
	mu   sync.Mutex
	down bool
	lost chan struct{} // closed when the service goes down
}

func newDependency() *dependency { return &dependency{lost: make(chan struct{})} }

// fail takes the service down: connected clients lose their connection.
func (d *dependency) fail() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = true
	close(d.lost)
}

// recover brings the service back.
func (d *dependency) recover() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down, d.lost = false, make(chan struct{})
}

// dial returns a channel closed when the connection is lost, or an error
// while the service is down.
func (d *dependency) dial() (<-chan struct{}, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return nil, errors.New("dial tcp 10.0.0.7:5432: connection refused")
	}
	return d.lost, nil
}

// dialer is a client of dep: it fails when it cannot connect or loses its
// connection, and otherwise runs until cancelled.
func dialer(dep *dependency) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		lost, err := dep.dial()
		if err != nil {
			return err
		}
		select {
		case <-lost:
			return errors.New("read tcp 10.0.0.7:5432: connection reset by peer")
		case <-ctx.Done():
			return nil
		}
	})
}

// adviceTree is the quick start's tree with the feed as a dialer; advised
// selects the backoff and intensity of the README, or the defaults.
func adviceTree(t *testing.T, dep *dependency, advised bool) *supervisor.Supervisor {
	feed := supervisor.Child{Name: "feed", Actor: dialer(dep)}
	opts := []supervisor.Option{supervisor.WithJitter(func() float64 { return 0 })}
	if advised {
		feed.Backoff = &policy.Backoff{Initial: time.Second, Max: 30 * time.Second, Jitter: 0.2, ResetAfter: time.Second, MaxAttempts: 6}
		opts = append(opts, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 20, Period: 10 * time.Second}))
	}
	return newRoot(t, append(opts, supervisor.WithChildren(feed))...)
}

func TestBackoffAdvice(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			dep := newDependency()
			h := start(t.Context(), adviceTree(t, dep, false))
			synctest.Wait()
			began := time.Now()
			dep.fail() // the dependency goes away for 2s...
			synctest.Wait()
			r := h.result(t) // ...and the process is over at once
			if r.code != daemon.ExitFailure || r.at.Sub(began) != 0 {
				t.Fatalf("Run = %d, %v after %v; want exit status 1 at once", r.code, r.err, r.at.Sub(began))
			}
		})
	})
	t.Run("advised, 2s outage", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			dep := newDependency()
			root := adviceTree(t, dep, true)
			h := start(t.Context(), root)
			synctest.Wait()
			dep.fail()
			time.Sleep(2 * time.Second)
			dep.recover() // back after 2s: the attempt at 3s succeeds
			time.Sleep(10 * time.Second)
			synctest.Wait()
			if kids := root.Children(); kids[0].State != supervisor.StateRunning {
				t.Fatalf("feed %v after the outage, want running", kids[0].State)
			}
			h.sigs <- syscall.SIGTERM
			synctest.Wait()
			if r := h.result(t); r.code != daemon.ExitOK {
				t.Fatalf("Run = %d, %v; want 0", r.code, r.err)
			}
		})
	})
	t.Run("advised, lasting outage", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			dep := newDependency()
			h := start(t.Context(), adviceTree(t, dep, true))
			synctest.Wait()
			began := time.Now()
			dep.fail()
			time.Sleep(time.Hour)
			synctest.Wait()
			r := h.result(t)
			var esc *supervisor.EscalationError
			took := r.at.Sub(began)
			if r.code != daemon.ExitFailure || !errors.As(r.err, &esc) || esc.Reason != "backoff" ||
				took < 55*time.Second || took > 75*time.Second {
				t.Fatalf("Run = %d, %v after %v; want exit status 1, backoff exhausted after about a minute", r.code, r.err, took)
			}
			t.Logf("gave up after %v: %v", took, r.err)
		})
	})
}
