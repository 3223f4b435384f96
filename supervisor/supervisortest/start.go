package supervisortest

import (
	"context"
	"fmt"
	"sync"

	"github.com/arbor-go/arbor/supervisor"
)

// Running is a supervisor running in a goroutine of its own, started by
// Start. Its methods are safe for concurrent use.
type Running struct {
	sup    *supervisor.Supervisor
	cancel context.CancelFunc
	done   chan struct{}
	// err is what Run returned. Written once, by the goroutine that runs
	// the supervisor, before done is closed; read only after done is
	// closed.
	err error
	// stopOnce makes Stop's cancellation happen once.
	stopOnce sync.Once
}

// Start runs sup in a new goroutine, with a context of its own, and returns
// at once, without waiting for the tree to start: under testing/synctest
// call synctest.Wait, elsewhere Running.WaitReady. It registers a cleanup
// with t that stops the run and waits for it, so that a test that fails
// half-way does not leave the tree running; the cleanup ignores Run's
// error, which the test reads with Stop or Wait.
//
// Inside a synctest bubble, pass the bubble's own t (the one
// synctest.Test gives its function), so that the cleanup runs inside the
// bubble.
func Start(t TB, sup *supervisor.Supervisor) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{sup: sup, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = sup.Run(ctx)
	}()
	t.Cleanup(func() { _ = r.Stop() })
	return r
}

// Supervisor returns the supervisor that r runs.
func (r *Running) Supervisor() *supervisor.Supervisor { return r.sup }

// Cancel cancels the run's context, which starts the supervisor's
// shutdown, and returns at once.
func (r *Running) Cancel() { r.stopOnce.Do(r.cancel) }

// Stop cancels the run's context, waits for Run to return and returns its
// error: nil after a clean shutdown. It may be called more than once, and
// after Run returned by itself.
func (r *Running) Stop() error {
	r.Cancel()
	return r.Wait()
}

// Wait waits for Run to return by itself, without cancelling it, and returns
// its error.
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

// Done returns a channel that is closed when Run has returned.
func (r *Running) Done() <-chan struct{} { return r.done }

// Returned reports whether Run has returned, and if so what it returned,
// without waiting. Under testing/synctest, call synctest.Wait first, so
// that the answer does not depend on scheduling.
func (r *Running) Returned() (returned bool, err error) {
	select {
	case <-r.done:
		return true, r.err
	default:
		return false, nil
	}
}

// WaitReady waits until the tree is ready (see supervisor.Supervisor.WaitReady)
// and returns nil. It returns an error wrapping Run's error if Run returns
// first (for example because a child failed to start), and one wrapping
// context.Cause(ctx) if ctx ends first. It is the way to wait for a tree
// outside a synctest bubble, such as one that listens on a real socket.
func (r *Running) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan error, 1)
	go func() { ready <- r.sup.WaitReady(ctx) }()
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("supervisortest: %s not ready: %w", r.sup.Name(), err)
		}
		return nil
	case <-r.done:
		cancel()
		if err := <-ready; err == nil {
			return nil // it was ready before it returned
		}
		if r.err == nil {
			return fmt.Errorf("supervisortest: %s stopped before it was ready", r.sup.Name())
		}
		return fmt.Errorf("supervisortest: %s returned before it was ready: %w", r.sup.Name(), r.err)
	}
}

// New calls supervisor.New and fails t at once (with t.Fatalf) if it
// returns an error.
func New(t TB, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	s, err := supervisor.New(name, opts...)
	if err != nil {
		t.Fatalf("supervisor.New(%q): %v", name, err)
	}
	return s
}

// Names returns the names of children, in order, as listed by
// supervisor.Supervisor.Children.
func Names(children []supervisor.ChildInfo) []string {
	out := make([]string, len(children))
	for i, c := range children {
		out[i] = c.Name
	}
	return out
}

// ChildNamed returns the snapshot of sup's child called name, and false if
// sup has no such child (or is not running).
func ChildNamed(sup *supervisor.Supervisor, name string) (supervisor.ChildInfo, bool) {
	for _, c := range sup.Children() {
		if c.Name == name {
			return c, true
		}
	}
	return supervisor.ChildInfo{}, false
}
