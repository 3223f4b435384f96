package supervisor

import (
	"time"

	"github.com/arbor-go/arbor/policy"
)

// groupRestart restarts failed and the siblings its strategy names: it stops
// them newest-first, waits delay, then starts them in order. A start failure
// counts as a failure of that child and restarts its group again. Called in
// the loop with the operations token held; the token is released during the
// delay, so that Remove and a manual Restart (which ends the delay) are not
// held up by it.
func (r *run) groupRestart(failed *child, q request, delay time.Duration) {
	s := r.s
	var group []*child // the children the restart stops, removes or starts: see markGroupLocked
	defer func() {
		s.mu.Lock()
		r.unmarkGroupLocked(group)
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		if failed.st != lsPending || r.phase >= phaseStopping {
			s.mu.Unlock()
			return
		}
		order := r.orderLocked()
		idx := -1
		members := make([]policy.Member, len(order))
		for i, x := range order {
			if x == failed {
				idx = i
			}
			members[i] = policy.Member{Type: x.spec.Restart, Alive: x.st.alive() && x != failed}
		}
		plan := s.cfg.strategy.Plan(members, idx)
		pick := func(idx []int) []*child {
			out := make([]*child, len(idx))
			for i, j := range idx {
				out[i] = order[j]
			}
			return out
		}
		stop, remove, start := pick(plan.Stop), pick(plan.Remove), pick(plan.Start)
		group = append(append(append(group[:0], stop...), remove...), start...)
		r.markGroupLocked(failed, group)
		now := r.clock()
		for _, x := range start {
			if x == failed {
				continue // counted when its restart was admitted
			}
			// A bystander's restart is a restart decided for it: it counts
			// among its restarts (ChildInfo, Snapshot, events) and in
			// Counters.Restarts, though not against the intensity (one
			// failure counts once there) nor as an attempt of its backoff.
			// It has no restarting event of its own: its stopped and
			// started events name the group's origin.
			x.restarts++
			s.counts.Restarts++
			if !x.st.alive() {
				x.moveLocked(evRejoin, lsPending, now) // it ended earlier: the group starts it again
			}
		}
		if delay > 0 {
			r.delayed = failed
		}
		s.mu.Unlock()

		removing := make(map[*child]bool, len(remove))
		for _, x := range remove {
			removing[x] = true
		}
		for _, x := range stop {
			then := thenPending
			if removing[x] {
				then = thenRemoved
			}
			st, err := r.stopChild(x, ErrRestarting, then, time.Time{}, true)
			if err != nil {
				// Shutting down: the shutdown takes the stop over.
				s.mu.Lock()
				r.delayed = nil
				s.mu.Unlock()
				return
			}
			if st != nil {
				// The restart needs a stuck child's slot: give up, blaming
				// the failure that asked for the restart.
				s.mu.Lock()
				r.delayed = nil
				r.queueLocked(request{kind: reqEscalate, c: failed, err: q.err, info: q.info, at: r.clock(), reason: "stuck", blocked: st.Path})
				s.mu.Unlock()
				return
			}
		}
		s.mu.Lock()
		for _, x := range remove {
			now := r.clock()
			if x.st != lsRemoved && x.moveLocked(evDrop, lsRemoved, now) {
				r.unlinkLocked(x)
			}
			r.emitLocked(EventRemoved, x, nil, now, 0, 0)
		}
		if delay > 0 {
			// What happens to the group's members during the delay (a
			// Remove, a manual Restart) is no part of the group restart.
			r.unmarkGroupLocked(group)
		}
		s.mu.Unlock()
		if delay > 0 {
			if !r.groupDelay(failed, delay) {
				return
			}
			s.mu.Lock()
			group = append(group[:0], start...)
			r.markGroupLocked(failed, group)
			s.mu.Unlock()
		}
		if r.ctxDone() || r.urgentPending() {
			return // stopping or failing now: the group stays stopped
		}
		next, info, err := r.startGroupFresh(start, failed)
		s.mu.Lock()
		r.unmarkGroupLocked(group)
		if next == nil {
			s.mu.Unlock()
			return
		}
		now = r.clock()
		next.moveLocked(evRejoin, lsPending, now)
		r.markGroupLocked(next, nil) // its failure to start restarts the group: it is the origin
		var ok bool
		q = request{err: err, info: info, at: now}
		delay, ok = r.admitLocked(next, err, q.info, now, now, 0)
		if !ok {
			next.moveLocked(evGiveUp, lsStopped, now)
		}
		s.mu.Unlock()
		if !ok {
			return
		}
		failed = next
	}
}

// markGroupLocked records that a group restart answering origin's failure
// is in progress, and that members (the children it stops, removes or
// starts) take part in it. Until unmarkGroupLocked, the events of origin
// and of the members carry origin's path as Origin, and a member's stop
// counts as Counters.ExitsGroup rather than ExitsShutdown: for the restart
// policy it is still a shutdown exit. A run restarts one group at a time
// (the loop holds the operations token), so one mark suffices. Called with
// s.mu held.
func (r *run) markGroupLocked(origin *child, members []*child) {
	r.group = origin
	origin.grouped = true
	for _, x := range members {
		x.grouped = true
	}
}

// unmarkGroupLocked ends what markGroupLocked recorded for members and
// r.group. Called with s.mu held.
func (r *run) unmarkGroupLocked(members []*child) {
	for _, x := range members {
		x.grouped = false
	}
	if r.group != nil {
		r.group.grouped = false
		r.group = nil
	}
}

// urgentPending reports whether an escalation or auto-shutdown is queued.
func (r *run) urgentPending() bool {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for _, q := range r.pending {
		if q.kind != reqRestart {
			return true
		}
	}
	return false
}

// groupDelay waits out a group restart's backoff with the operations token
// released. It ends early when the failed child is restarted or removed by
// request (its delay is cancelled; the rest of the group then starts at
// once), and reports false if the run is ending or failing.
func (r *run) groupDelay(failed *child, delay time.Duration) bool {
	select { // forget a kick meant for an earlier group
	case <-r.kick:
	default:
	}
	r.releaseOps()
	defer func() {
		r.takeOps()
		r.s.mu.Lock()
		r.delayed = nil
		r.s.mu.Unlock()
	}()
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.kick:
	case <-r.urgent: // an escalation or auto-shutdown cannot wait
		return false
	case <-r.done:
		return false
	}
	return true
}

// startGroupFresh starts the children of a group restart in order, first
// renewing the shared state when the group is every child (see
// WithShared). A failure to make the state counts as a failure of the child
// that caused the restart.
func (r *run) startGroupFresh(start []*child, failed *child) (*child, errInfo, error) {
	r.s.mu.Lock()
	whole := len(start) > 0 && start[0] == r.first
	r.s.mu.Unlock()
	if whole {
		if text, err := r.renewSharedText(); err == errAborted {
			return nil, errInfo{}, nil
		} else if err != nil {
			_, panicked := err.(*PanicError)
			return failed, errInfo{text: text, panicked: panicked}, err
		}
	}
	return r.startGroup(start)
}

// startGroup starts children in order. It returns the child that failed to
// start, with its error, or nil.
func (r *run) startGroup(start []*child) (*child, errInfo, error) {
	for _, x := range start {
		info, err := r.startChildInfo(x)
		if err == errAborted { // see errAborted: never errors.Is on a child's error here

			return nil, errInfo{}, nil
		}
		if se, ok := err.(*StartError); ok {
			return x, info, se.Err
		}
	}
	return nil, errInfo{}, nil
}
