package actor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
)

// runPair is an oklog/run style actor: execute blocks until interrupt is
// called, records the interrupt's calls and returns errExecute.
type runPair struct {
	stop   chan struct{}
	calls  atomic.Int32
	causes chan error
}

var errExecute = errors.New("execute returned")

func newRunPair() *runPair {
	return &runPair{stop: make(chan struct{}), causes: make(chan error, 10)}
}

func (p *runPair) execute() error { <-p.stop; return errExecute }

func (p *runPair) interrupt(cause error) {
	if p.calls.Add(1) == 1 {
		close(p.stop)
	}
	p.causes <- cause
}

func TestFromRunValidator(t *testing.T) {
	p := newRunPair()
	if _, ok := actor.FromRun(p.execute, p.interrupt).(actor.Validator); !ok {
		t.Fatal("FromRun's actor does not implement Validator")
	}
	if err := actor.FromRun(p.execute, p.interrupt).(actor.Validator).Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

func TestFromRunNil(t *testing.T) {
	var executed, interrupted atomic.Int32
	execute := func() error { executed.Add(1); return nil }
	interrupt := func(error) { interrupted.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name      string
		execute   func() error
		interrupt func(error)
	}{
		{"nil execute", nil, interrupt},
		{"nil interrupt", execute, nil},
		{"both nil", nil, nil},
	} {
		a := actor.FromRun(tc.execute, tc.interrupt)
		if err := a.(actor.Validator).Validate(); err != actor.ErrNilFunc {
			t.Errorf("%s: Validate() = %v, want ErrNilFunc", tc.name, err)
		}
		if err := a.Run(context.Background()); err != actor.ErrNilFunc {
			t.Errorf("%s: Run() = %v, want ErrNilFunc", tc.name, err)
		}
		if err := a.Run(ctx); err != actor.ErrNilFunc {
			t.Errorf("%s: Run(cancelled) = %v, want ErrNilFunc", tc.name, err)
		}
	}
	if executed.Load() != 0 || interrupted.Load() != 0 {
		t.Errorf("execute called %d, interrupt %d times, want neither", executed.Load(), interrupted.Load())
	}
}

func TestFromRunInterruptOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newRunPair()
		ctx, cancel := context.WithCancelCause(context.Background())
		done := make(chan error, 1)
		go func() { done <- actor.FromRun(p.execute, p.interrupt).Run(ctx) }()
		synctest.Wait()
		if n := p.calls.Load(); n != 0 {
			t.Fatalf("interrupt called %d times before cancellation", n)
		}
		cause := errors.New("restart requested")
		cancel(cause)
		if err := <-done; err != errExecute {
			t.Errorf("Run() = %v, want execute's error", err)
		}
		if got := <-p.causes; got != cause {
			t.Errorf("interrupt got %v, want context.Cause(ctx) %v", got, cause)
		}
		cancel(errors.New("again"))
		synctest.Wait()
		if n := p.calls.Load(); n != 1 {
			t.Errorf("interrupt called %d times, want exactly 1", n)
		}
	})
}

func TestFromRunInterruptOnDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newRunPair()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if err := actor.FromRun(p.execute, p.interrupt).Run(ctx); err != errExecute {
			t.Errorf("Run() = %v, want execute's error", err)
		}
		if got := time.Since(start); got != time.Minute {
			t.Errorf("Run returned after %v, want 1m (the deadline)", got)
		}
		if got := <-p.causes; got != context.DeadlineExceeded {
			t.Errorf("interrupt got %v, want context.DeadlineExceeded", got)
		}
		if n := p.calls.Load(); n != 1 {
			t.Errorf("interrupt called %d times, want 1", n)
		}
	})
}

func TestFromRunAlreadyCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newRunPair()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := actor.FromRun(p.execute, p.interrupt).Run(ctx); err != errExecute {
			t.Errorf("Run() = %v, want execute's error", err)
		}
		if got := <-p.causes; got != context.Canceled {
			t.Errorf("interrupt got %v, want context.Canceled", got)
		}
		synctest.Wait()
		if n := p.calls.Load(); n != 1 {
			t.Errorf("interrupt called %d times, want 1", n)
		}
	})
}

// TestFromRunWaitsForInterrupt proves Run does not return while the
// interrupt it started is still running, even though execute has returned.
func TestFromRunWaitsForInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		execStop, release := make(chan struct{}), make(chan struct{})
		var executeReturned atomic.Bool
		a := actor.FromRun(
			func() error { <-execStop; executeReturned.Store(true); return nil },
			func(error) { close(execStop); <-release },
		)
		ctx, cancel := context.WithCancel(context.Background())
		returned := make(chan error, 1)
		go func() { returned <- a.Run(ctx) }()
		synctest.Wait()
		cancel()
		synctest.Wait() // execute has returned, interrupt blocks on release
		if !executeReturned.Load() {
			t.Fatal("execute has not returned")
		}
		select {
		case <-returned:
			t.Fatal("Run returned while interrupt was still running")
		default:
		}
		close(release)
		synctest.Wait()
		select {
		case err := <-returned:
			if err != nil {
				t.Errorf("Run() = %v, want nil", err)
			}
		default:
			t.Fatal("Run did not return after interrupt finished")
		}
	})
}

// TestFromRunRunsAgain uses one adapter for several incarnations, as a
// supervisor restarting it does.
func TestFromRunRunsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started, stop chan struct{}
		var interrupted atomic.Int32
		a := actor.FromRun(
			func() error { close(started); <-stop; return nil },
			func(error) { interrupted.Add(1); close(stop) },
		)
		for i := range 3 {
			started, stop = make(chan struct{}), make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			go func(started chan struct{}) { <-started; cancel() }(started)
			if err := a.Run(ctx); err != nil {
				t.Fatalf("incarnation %d: Run() = %v", i, err)
			}
			if n := interrupted.Load(); n != int32(i+1) {
				t.Fatalf("incarnation %d: interrupt called %d times in all, want %d", i, n, i+1)
			}
		}
	})
}
