package supervisor

// What a run needs from the context given to Run, read once.

import (
	"context"
	"fmt"
	"sync"

	"github.com/arbor-go/arbor/actor"
)

// ctxView is what a run needs from the context given to Run: its Done
// channel, whether it was already done, and what Run looks up with Value
// (the record of the child whose incarnation it is, its pprof labels and
// whether a readiness hook waits on it). It is read once, when Run begins;
// afterwards the run receives from done and calls none of the context's
// methods.
type ctxView struct {
	done    <-chan struct{} // ctx.Done(); nil for a context that is never done
	over    bool            // ctx.Err() was not nil
	parent  *child          // childOf(ctx)
	labels  context.Context // outerLabels(ctx)
	waiting bool            // actor.Waiting(ctx)
	direct  bool            // ctx is the incarnation context of parent, which runs the supervisor as its Actor
}

// viewOfIncarnation is the view of ctx, the context of an incarnation of
// in, which runs the supervisor directly as its Actor (runIn). The
// supervisor made that context itself (a context.WithCancelCause over in's
// record): its Done and Err are the standard library's, and the values come
// from in's run, without a lookup through every level above.
func viewOfIncarnation(ctx context.Context, in *child) ctxView {
	return ctxView{done: ctx.Done(), over: ctx.Err() != nil, parent: in, labels: in.r.labels, direct: true}
}

// readContext reads the view of ctx, a context that came from the user: its
// methods (Done, Err and Value, and whatever they call) are user code. They
// are called in a goroutine of their own, with no lock held, never on Run's
// goroutine, and guarded: a panic or a runtime.Goexit in one of them is a
// *ConfigError for Run.ctx wrapping the *PanicError (or ErrGoexit). Run
// waits for that goroutine: a method that blocks forever keeps Run from
// starting anything, and nothing else (Health and Snapshot do not wait on
// it).
//
// Rejected: watching Done in a goroutine for the whole run (so that a Done
// that panics late could be handled). Done is called once here and its
// channel received from directly; a goroutine per run for that would cost
// every nested supervisor run with a context of its user's a goroutine.
func readContext(ctx context.Context) (ctxView, error) {
	rd := &ctxReader{ctx: ctx}
	rd.wg.Add(1)
	go rd.read()
	rd.wg.Wait()
	return rd.v, rd.err
}

// ctxReader is what readContext's goroutine fills in: one record, so that
// reading the context costs the goroutine and this record (a closure over
// each variable the goroutine changes cost an allocation each). Its fields
// are written by that goroutine only, and read once wg is done.
type ctxReader struct {
	ctx      context.Context
	v        ctxView
	err      error
	method   string // the method being called, for the error
	finished bool   // every method returned
	wg       sync.WaitGroup
}

// read calls ctx's methods, guarded: a panic or a Goexit in one of them is
// a *ConfigError in rd.err.
func (rd *ctxReader) read() {
	defer rd.wg.Done()
	defer func() {
		if rd.finished {
			return
		}
		var err error = ErrGoexit
		reason := "its " + rd.method + " method called runtime.Goexit"
		if p := recover(); p != nil {
			pe := newPanicError(p)
			err = pe
			reason = "its " + rd.method + " method panicked: " + errText(pe)
		}
		rd.err = &ConfigError{Field: "Run.ctx", Value: fmt.Sprintf("%T", rd.ctx),
			Reason: reason + " (the context's methods must not panic)", Err: err}
	}()
	ctx := rd.ctx
	rd.method = "Done"
	rd.v.done = ctx.Done()
	rd.method = "Err"
	rd.v.over = ctx.Err() != nil
	rd.method = "Value"
	rd.v.parent = childOf(ctx)
	rd.v.labels = outerLabels(ctx)
	rd.v.waiting = actor.Waiting(ctx)
	rd.finished = true
}

// ctxDone reports whether Run's context is done, by its Done channel: no
// call into the context.
func (r *run) ctxDone() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}
