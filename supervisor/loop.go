package supervisor

import (
	"time"

	"github.com/arbor-go/arbor/policy"
)

type reqKind uint8

const (
	reqRestart      reqKind = iota // restart c (strategy, intensity) via the loop
	reqEscalate                    // give up because of c
	reqAutoShutdown                // a significant child ended
)

// request is work for the loop. Everything that needed user code (the
// error's text and chain, the decider, the jitter) was settled by the
// child's goroutine before it queued the request.
type request struct {
	kind    reqKind
	c       *child
	gen     uint64
	err     error
	info    errInfo
	at      instant
	reason  string
	jitter  float64
	blocked string // for reason "stuck": the stuck child whose slot was needed
}

// loop processes requests until the run ends, and returns Run's error.
//
// Requests are handled one at a time, in the order they were queued, except
// that an escalation or auto-shutdown goes before any restart still waiting:
// the supervisor fails (or stops) now, not after more restarts. Once Run's
// context is done, nothing queued is handled: the supervisor shuts down.
func (r *run) loop() error {
	for {
		if r.ctxDone() {
			return r.shutdown(ErrShutdown, nil)
		}
		q, ok := r.next()
		if !ok {
			select {
			case <-r.done:
			case <-r.wake:
			}
			continue
		}
		if done, err := r.handle(q); done {
			return err
		}
	}
}

// next takes the request to handle next: the first urgent one if any, else
// the oldest.
func (r *run) next() (request, bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if len(r.pending) == 0 {
		return request{}, false
	}
	i := 0
	for j, q := range r.pending {
		if q.kind != reqRestart {
			i = j
			break
		}
	}
	q := r.pending[i]
	r.pending = append(r.pending[:i], r.pending[i+1:]...)
	return q, true
}

// queueLocked hands a request to the loop. Called with s.mu held.
func (r *run) queueLocked(q request) {
	r.pending = append(r.pending, q)
	signal(r.wake)
	if q.kind != reqRestart {
		signal(r.urgent)
	}
}

// handle processes one request in the loop. It reports done with Run's
// error when the run ends.
func (r *run) handle(q request) (bool, error) {
	switch q.kind {
	case reqEscalate:
		return true, r.escalate(q)
	case reqAutoShutdown:
		r.s.mu.Lock()
		r.emitLocked(EventAutoShutdown, q.c, nil, r.clock(), 0, 0)
		r.s.mu.Unlock()
		return true, r.shutdown(ErrShutdown, nil)
	}
	if !r.tryOps() {
		return false, nil // shutting down
	}
	defer r.releaseOps()
	s := r.s
	s.mu.Lock()
	c := q.c
	if c.gen != q.gen || c.st != lsPending || r.phase >= phaseStopping {
		s.mu.Unlock() // already restarted with its group, removed, or shutting down
		return false, nil
	}
	now := r.clock()
	if s.cfg.strategy != policy.OneForOne {
		// The failed child's restarting event names it as its group's
		// origin.
		r.markGroupLocked(c, nil)
	}
	delay, ok := r.admitLocked(c, q.err, q.info, q.at, now, q.jitter)
	if !ok {
		r.unmarkGroupLocked(nil)
		c.moveLocked(evGiveUp, lsStopped, now)
		s.mu.Unlock()
		return false, nil
	}
	if s.cfg.strategy == policy.OneForOne {
		r.launchLocked(c, delay, now)
		s.mu.Unlock()
		return false, nil
	}
	s.mu.Unlock()
	r.groupRestart(c, q, delay)
	return false, nil
}

// admitLocked counts a restart of c against the intensity window and its
// backoff. It returns the delay before the restart, or false when the
// supervisor must escalate instead (the escalation is queued). at is when
// the failure happened, now when it is admitted (the events' time); jitter
// is a random fraction the child's goroutine drew, without the lock. Called
// with s.mu held.
func (r *run) admitLocked(c *child, err error, info errInfo, at, now instant, jitter float64) (time.Duration, bool) {
	// Failures are admitted in the order they take the lock; the window
	// needs forward-only time, so a failure recorded earlier than one
	// already admitted counts at that one's time.
	if at < r.lastAdmit {
		at = r.lastAdmit
	}
	r.lastAdmit = at
	if !r.window.Allow(r.timeAt(at)) {
		r.emitErrLocked(EventIntensityExceeded, c, err, info.text, now, 0, 0)
		r.queueLocked(request{kind: reqEscalate, c: c, err: err, info: info, at: at, reason: "intensity"})
		r.wakeWaiterLocked(c)
		return 0, false
	}
	b := c.backoffSpec()
	if c.ranLongLocked(at) {
		c.consecutive = 0
	}
	c.ranReady = false
	if b.Exhausted(int(c.consecutive) + 1) {
		r.queueLocked(request{kind: reqEscalate, c: c, err: err, info: info, at: at, reason: "backoff"})
		r.wakeWaiterLocked(c)
		return 0, false
	}
	var delay time.Duration
	if b.Enabled() {
		delay = b.Delay(int(c.consecutive), jitter)
	}
	c.consecutive++
	c.restarts++
	r.emitErrLocked(EventRestarting, c, err, info.text, now, delay, int(c.consecutive))
	return delay, true
}

// leaveStoppedLocked records that c ended for good: a Temporary child is
// removed, and a significant one may shut the supervisor down. Called with
// s.mu held.
func (r *run) leaveStoppedLocked(c *child, class policy.ExitClass, err error, text string) {
	if class == policy.Abnormal {
		r.problemLocked(c, "failed; not restarted", err, text)
	}
	now := r.clock()
	if c.spec.Restart == policy.Temporary && c.moveLocked(evDrop, lsRemoved, now) {
		r.unlinkLocked(c)
		r.emitLocked(EventRemoved, c, nil, now, 0, 0)
	}
	if !c.spec.Significant {
		return
	}
	switch r.s.cfg.auto {
	case policy.AnySignificant:
		r.queueLocked(request{kind: reqAutoShutdown, c: c, at: now})
	case policy.AllSignificant:
		for x := r.first; x != nil; x = x.next {
			if x.spec.Significant && (x.st.alive() || x.st == lsPending || (x.st == lsStopping && x.then == thenPending)) {
				return
			}
		}
		r.queueLocked(request{kind: reqAutoShutdown, c: c, at: now})
	}
}

// escalate gives up: it builds the escalation error and shuts down.
func (r *run) escalate(q request) error {
	s := r.s
	s.mu.Lock()
	err := q.err
	if err == nil {
		err = ErrUnexpectedExit
	}
	origin, leaf := q.c.path, q.info.text
	if q.info.nested != nil {
		origin, leaf = q.info.nested.Origin, q.info.leaf
	}
	if q.err == nil {
		leaf = ErrUnexpectedExit.Error()
	}
	esc := &EscalationError{
		Supervisor: r.path,
		Child:      q.c.path,
		Origin:     origin,
		Reason:     q.reason,
		Restarts:   r.window.Count(r.timeAt(q.at)),
		Period:     s.cfg.intensity.Period,
		Blocked:    q.blocked,
		Err:        err,
		leaf:       leaf,
		leafOK:     true,
	}
	switch q.reason {
	case "intensity":
		// The window refused a restart because it held MaxRestarts: those
		// were made, the refused one was not. (Restarts admitted since,
		// in other children's goroutines, are not this failure's.)
		esc.Restarts = s.cfg.intensity.MaxRestarts
	case "backoff":
		esc.Restarts = int(q.c.consecutive)
	}
	r.emitLocked(EventEscalated, nil, esc, r.clock(), 0, 0)
	s.mu.Unlock()
	return r.shutdown(ErrEscalating, esc)
}

// takeOps takes the operations token, waiting as long as it takes.
func (r *run) takeOps() { r.ops <- struct{}{} }

// tryOps takes the operations token unless shutdown begins first.
func (r *run) tryOps() bool {
	select {
	case r.ops <- struct{}{}:
	case <-r.quit:
		return false
	}
	select {
	case <-r.quit:
		r.releaseOps()
		return false
	default:
		return true
	}
}

// releaseOps gives the operations token back.
func (r *run) releaseOps() { <-r.ops }
