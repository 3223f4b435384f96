package daemon

import (
	"context"
	"fmt"
	"runtime"

	"github.com/arbor-go/arbor/supervisor"
)

// The context given to Run is user code, as it is for supervisor.Run: its
// methods may panic, call runtime.Goexit or block. Run reads what it needs
// of it (the Done channel, and the path a root run inside a child's
// context takes) once, in a goroutine of its own, guarded; afterwards it
// only receives from the Done channel. The cause logged when ctx ends is
// read by the log's goroutine, when the entry is written (see causeOf).

// ctxView is what Run reads of its context.
type ctxView struct {
	done <-chan struct{}
	path string // supervisor.Path(ctx)
}

// readContext reads ctx's Done channel and supervisor path in a goroutine
// of its own. A panic or a runtime.Goexit there is a *supervisor.ConfigError
// for Run.ctx wrapping the *supervisor.PanicError (or
// supervisor.ErrGoexit), as supervisor.Run returns for the same context.
func readContext(ctx context.Context) (ctxView, error) {
	type result struct {
		v   ctxView
		err error
	}
	ch := make(chan result, 1)
	go func() {
		method := "Done"
		finished := false
		defer func() {
			if finished {
				return
			}
			var err error = supervisor.ErrGoexit
			reason := "its " + method + " method called runtime.Goexit"
			if p := recover(); p != nil {
				buf := make([]byte, 64<<10)
				err = &supervisor.PanicError{Value: p, Stack: buf[:runtime.Stack(buf, false)]}
				reason = "its " + method + " method panicked"
			}
			ch <- result{err: &supervisor.ConfigError{Field: "Run.ctx", Value: fmt.Sprintf("%T", ctx),
				Reason: reason + " (the context's methods must not panic)", Err: err}}
		}()
		var v ctxView
		v.done = ctx.Done()
		method = "Value"
		v.path = supervisor.Path(ctx)
		finished = true
		ch <- result{v: v}
	}()
	res := <-ch
	return res.v, res.err
}

// causeOf is context.Cause(ctx), read when the log entry is written, on
// the log's goroutine (whose writes are guarded), never on Run's.
type causeOf struct{ ctx context.Context }

func (c causeOf) String() string {
	if err := context.Cause(c.ctx); err != nil {
		return err.Error()
	}
	return "<nil>"
}
