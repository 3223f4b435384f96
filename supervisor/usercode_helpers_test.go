package supervisor_test

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// goid returns the calling goroutine's id, read from its stack's header.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		panic("goid: " + err.Error())
	}
	return id
}

// ucWorker is a worker that runs until its context is cancelled or stop is
// closed: a test closes stop when it ends, so that a failing test does not
// leave the bubble blocked.
func ucWorker(stop <-chan struct{}) actor.Func {
	return func(ctx context.Context) error {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		return nil
	}
}

// ucOutcome is how a call of Run ended: it returned err, panicked with
// panicked, or its goroutine ended by runtime.Goexit.
type ucOutcome struct {
	err      error
	panicked any
	goexit   bool
}

// ucRun runs sup in a goroutine whose id it stores in runG before Run is
// called. A panic or a runtime.Goexit reaching that goroutine is reported,
// not a crash of the test binary.
type ucRun struct {
	runG atomic.Int64
	done chan ucOutcome
}

func ucGo(ctx context.Context, sup *supervisor.Supervisor) *ucRun {
	u := ucNew()
	u.start(ctx, sup)
	return u
}

func ucNew() *ucRun { return &ucRun{done: make(chan ucOutcome, 1)} }

// start calls sup.Run(ctx) in a goroutine, and returns once the
// goroutine's id is known.
func (u *ucRun) start(ctx context.Context, sup *supervisor.Supervisor) {
	ready := make(chan struct{})
	go func() {
		returned := false
		var out ucOutcome
		defer func() {
			if !returned {
				out.panicked = recover()
				out.goexit = out.panicked == nil
			}
			u.done <- out
		}()
		u.runG.Store(goid())
		close(ready)
		out.err = sup.Run(ctx)
		returned = true
	}()
	<-ready
}

// onRun reports whether the caller runs on Run's goroutine.
func (u *ucRun) onRun() bool { return goid() == u.runG.Load() }

// result returns how Run ended, failing t if it has not (call it once the
// bubble is idle) or if it did not return normally.
func (u *ucRun) result(t *testing.T) error {
	t.Helper()
	select {
	case out := <-u.done:
		switch {
		case out.goexit:
			t.Fatal("runtime.Goexit in user code ended Run's own goroutine")
		case out.panicked != nil:
			t.Fatalf("Run panicked: %v", out.panicked)
		}
		return out.err
	default:
		t.Fatal("Run has not returned")
		return nil
	}
}

// ucErr is an error whose methods record the goroutine they run on. Its
// Is panics when panicIs is set; its Unwrap returns the error itself when
// selfUnwrap is set, up to a bound: a walk without a cycle check would go
// on forever, and the bound turns that into a count the test can check.
type ucErr struct {
	u          *ucRun
	panicIs    bool
	selfUnwrap bool
	calls      atomic.Int64 // calls of any method
	onRunCalls atomic.Int64 // calls on Run's own goroutine
}

// ucUnwrapBound is how many calls of Unwrap a self-unwrapping ucErr takes
// before it returns nil.
const ucUnwrapBound = 1 << 16

func (e *ucErr) record() int64 {
	if e.u != nil && e.u.onRun() {
		e.onRunCalls.Add(1)
	}
	return e.calls.Add(1)
}

func (e *ucErr) Error() string { e.record(); return "user error" }

func (e *ucErr) Is(target error) bool {
	e.record()
	if e.panicIs {
		panic("Is panicked")
	}
	return false
}

func (e *ucErr) Unwrap() error {
	if e.record() < ucUnwrapBound && e.selfUnwrap {
		return e
	}
	return nil
}

// check fails t if a method of e ran on Run's goroutine, or if e's methods
// were called without bound.
func (e *ucErr) check(t *testing.T) {
	t.Helper()
	if n := e.onRunCalls.Load(); n > 0 {
		t.Errorf("the error's methods ran %d times on Run's own goroutine", n)
	}
	if n := e.calls.Load(); n >= ucUnwrapBound/2 {
		t.Errorf("the error's methods were called %d times: an unbounded walk", n)
	}
}
