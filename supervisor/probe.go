package supervisor

// The probe form of a liveness deadline: calls of a child's Probe, each in
// a goroutine of its own.

import (
	"context"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// probeCall is one call of a child's probe. Its fields are immutable once
// the checker made it; done is closed when the call returned.
type probeCall struct {
	c        *child
	gen      uint64          // the incarnation probed
	ctx      context.Context // that incarnation's context
	probe    func(context.Context) error
	start    instant
	deadline time.Time
	path     string // the child's path plus "/(probe)": its pprof label and stuck report
	done     chan struct{}
}

// callProbe is the body of a probe call's goroutine. The probe is user
// code: a panic in it is its error (a *PanicError), and so is a
// runtime.Goexit (ErrGoexit), reported by the deferred call while the
// goroutine unwinds.
func (r *run) callProbe(pc *probeCall) {
	pprof.SetGoroutineLabels(pprof.WithLabels(r.labels, pprof.Labels(pathLabel, pc.path)))
	var err error
	returned := false
	ctx, cancel := context.WithDeadline(pc.ctx, pc.deadline)
	defer func() {
		if !returned {
			err = ErrGoexit
		}
		late := ctx.Err() == context.DeadlineExceeded // not user code: a context the supervisor made
		cancel()
		r.probeEnded(pc, err, late)
	}()
	err = guardProbe(pc.probe, ctx)
	returned = true
}

// probeEnded records the end of probe call pc, which returned err, and
// closes pc.done. err's text is user code, taken here: a panic in its Error
// method is caught by errText, and a runtime.Goexit in it makes the error
// ErrGoexit, as for a child's own error (see goexitEnd), the deferred call
// still recording the end, so that a call that has ended is never taken for
// one still running (which would make every later incarnation hung without
// a call, and Run report a stuck probe).
func (r *run) probeEnded(pc *probeCall, err error, late bool) {
	text, taken := "", false
	defer func() {
		if !taken {
			err, text = ErrGoexit, ErrGoexit.Error()
		}
		r.probeReturned(pc, err, text, late)
		close(pc.done)
	}()
	text = errText(err)
	taken = true
}

// guardProbe calls probe(ctx), turning a panic into a *PanicError.
func guardProbe(probe func(context.Context) error, ctx context.Context) (err error) {
	done := false
	defer func() {
		if !done {
			if v := recover(); v != nil {
				err = newPanicError(v)
			}
		}
	}()
	err = probe(ctx)
	done = true
	return err
}

// probeReturned records the end of a probe call that returned err (with its
// text): an error makes the incarnation it probed hung, if it still runs;
// an error returned past the call's deadline (late) is its timeout.
func (r *run) probeReturned(pc *probeCall, err error, text string, late bool) {
	s := r.s
	s.mu.Lock()
	c := pc.c
	if r.dog != nil {
		delete(r.dog.calls, pc)
		signal(r.dog.kick) // the next call may start
	}
	lv := c.x.live
	if lv.call == pc {
		lv.call = nil
	}
	failed := (err != nil || late) && c.gen == pc.gen && c.st == lsRunning && r.phase < phaseStopping
	s.mu.Unlock()
	switch {
	case failed && late:
		r.hang([]suspect{{c: c, gen: pc.gen, how: hangProbeSlow}})
	case failed:
		r.hang([]suspect{{c: c, gen: pc.gen, how: hangProbeError, err: err, text: text}})
	}
}

// probesLeft waits until deadline (zero: for a worker's default shutdown
// timeout) for the probe calls still running when the run ended, which
// their incarnations' end has cancelled, and reports those that did not
// return, like stuck children (and returns those calls, in the same
// order). Called on Run's goroutine after the checker returned.
func (r *run) probesLeft(deadline time.Time) ([]StuckChild, []*probeCall) {
	s := r.s
	s.mu.Lock()
	w := r.dog
	var calls []*probeCall
	if w != nil {
		for pc := range w.calls {
			calls = append(calls, pc)
		}
	}
	s.mu.Unlock()
	if len(calls) == 0 {
		return nil, nil
	}
	slices.SortFunc(calls, func(a, b *probeCall) int { return strings.Compare(a.path, b.path) })
	r.lingerAbandoned(calls)
	if deadline.IsZero() {
		deadline = time.Now().Add(policy.DefaultShutdownTimeout)
	}
	t := time.NewTimer(max(time.Until(deadline), 0))
	defer t.Stop()
	var out []StuckChild
	var left []*probeCall
	expired := false
	for _, pc := range calls {
		if !expired {
			select {
			case <-pc.done:
				continue
			case <-t.C:
				expired = true
			}
		}
		select {
		case <-pc.done:
		default:
			out = append(out, StuckChild{Path: pc.path, Waited: time.Since(r.timeAt(pc.start))})
			left = append(left, pc)
		}
	}
	fillStacks(out)
	return out, left
}
