package supervisor

// Goroutines of an ended run that Run stopped waiting for, other than
// children's: probe calls and hook calls still running.

import (
	"slices"
	"time"
)

// lingerer is a goroutine of an ended run that Run reported stuck (a probe
// call, an init or shared-state hook call) and that has not returned since. While it
// runs it is reported like a stuck child of an ended run: by the runs
// above, whose stuck reports aggregate the tree's (stuckBelow), and by
// Health and Liveness. Immutable.
type lingerer struct {
	path  string          // as reported: "root/w/(probe)", "root/(shared)"
	since time.Time       // Waited counts from it
	done  <-chan struct{} // closed when the goroutine returned
}

func (l lingerer) returned() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// lingerOn records on the supervisor the goroutines that Run reported
// stuck when run r ended: the init hook's call if it was abandoned; hooks
// is hooksLeft's report (one path for every call of r.abandoned still
// running), probes and calls probesLeft's. Called on Run's goroutine, which
// owns r.abandoned.
func (r *run) lingerOn(hooks []StuckChild, probes []StuckChild, calls []*probeCall) {
	ic := r.init
	if !ic.left() && len(hooks) == 0 && len(calls) == 0 {
		return
	}
	now := time.Now()
	var add []lingerer
	if ic.left() {
		add = append(add, lingerer{path: r.path + PathSeparator + "(init)", since: now.Add(-ic.waited), done: ic.returned})
	}
	if len(hooks) > 0 {
		for _, ch := range r.abandoned {
			add = append(add, lingerer{path: hooks[0].Path, since: now.Add(-hooks[0].Waited), done: ch})
		}
	}
	for i, pc := range calls {
		add = append(add, lingerer{path: pc.path, since: now.Add(-probes[i].Waited), done: pc.done})
	}
	s := r.s
	s.mu.Lock()
	s.lingering = append(s.lingering, add...)
	s.mu.Unlock()
}

// lingerAbandoned records at once, while Run still waits for them, the
// probe calls of calls that were abandoned at their own deadline during the
// run: they are stuck already, and Health (and so a process main whose
// budget runs out meanwhile) names them. lingerOn records the others that
// do not return in time.
func (r *run) lingerAbandoned(calls []*probeCall) {
	now := time.Now()
	var add []lingerer
	for _, pc := range calls {
		if !now.Before(pc.deadline) {
			add = append(add, lingerer{path: pc.path, since: r.timeAt(pc.start), done: pc.done})
		}
	}
	if len(add) == 0 {
		return
	}
	s := r.s
	s.mu.Lock()
	s.lingering = append(s.lingering, add...)
	s.mu.Unlock()
}

// lingeringLocked drops the lingerers that returned and reports the others,
// once per path. Called with s.mu held.
func (s *Supervisor) lingeringLocked() []StuckChild {
	s.lingering = slices.DeleteFunc(s.lingering, lingerer.returned)
	if len(s.lingering) == 0 {
		s.lingering = nil
		return nil
	}
	out := make([]StuckChild, 0, len(s.lingering))
	for _, l := range s.lingering {
		out = append(out, StuckChild{Path: l.path, Waited: time.Since(l.since)})
	}
	return dedupStuck(out)
}
