package proptest

// The supervision rules of the model: starts, stops, exits, decisions,
// restart intensity, backoff, strategies, auto-shutdown and escalation.

import (
	"slices"
	"time"

	"github.com/arbor-go/arbor/policy"
)

func (m *Model) newSup(n *Node, path string, parent *Sup, self *Child) *Sup {
	return &Sup{Path: path, Spec: n, m: m, parent: parent, self: self}
}

func (s *Sup) start() {
	s.Running = true
	s.window = policy.NewWindow(s.Spec.Intensity)
	for _, n := range s.Spec.Children {
		s.Children = append(s.Children, &Child{Name: n.Name, Path: s.Path + "/" + n.Name, Spec: n})
	}
	for _, c := range slices.Clone(s.Children) {
		s.startChild(c)
	}
}

func (s *Sup) child(name string) *Child {
	for _, c := range s.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *Sup) index(c *Child) int { return slices.Index(s.Children, c) }

func (s *Sup) remove(c *Child) {
	if i := s.index(c); i >= 0 {
		s.Children = slices.Delete(s.Children, i, i+1)
		s.m.log("remove %s", c.Path)
	}
}

func (s *Sup) startChild(c *Child) {
	c.Inc++
	s.begin(c)
}

// begin runs the incarnation c.Inc.
func (s *Sup) begin(c *Child) {
	c.State = Running
	c.readyAt = s.m.Now
	s.m.log("start %s#%d", c.Path, c.Inc)
	if c.Spec.Sup {
		c.Sub = s.m.newSup(c.Spec, c.Path, s, c)
		c.Sub.start()
	}
}

// stop asks c to stop (bystander, Remove, shutdown).
func (s *Sup) stop(c *Child) {
	if c.hangTimer != nil {
		c.hangTimer.dead, c.hangTimer = true, nil // stopped before it was found hung
	}
	switch {
	case c.State == Running:
		if c.Sub != nil {
			c.Sub.halt()
			c.Sub = nil
		}
		s.m.log("stop %s#%d", c.Path, c.Inc)
		c.State = Stopped
	case c.State == Backoff && c.timer != nil:
		c.timer.dead, c.timer = true, nil
		s.m.log("cancel %s#%d", c.Path, c.Inc)
		c.State = Stopped
	}
}

// halt stops every child newest-first and ends the run.
func (s *Sup) halt() {
	s.Running, s.Busy, s.queue = false, false, nil
	if s.group != nil {
		s.group.dead, s.group, s.failed, s.members = true, nil, nil, nil
	}
	for i := len(s.Children) - 1; i >= 0; i-- {
		s.stop(s.Children[i])
	}
}

func (s *Sup) backoff(c *Child) policy.Backoff {
	if c.Spec.Backoff != nil {
		return *c.Spec.Backoff
	}
	return s.Spec.SupBackoff
}

type action uint8

const (
	actStop action = iota
	actRestart
	actEscalate
)

func decide(c *Child, f failure) action {
	abnormal := !f.nilErr
	switch {
	case abnormal && f.escalate:
		return actEscalate
	case abnormal && f.noRestart:
		return actStop
	}
	switch c.Spec.Restart {
	case policy.Permanent:
		return actRestart
	case policy.Transient:
		if abnormal {
			return actRestart
		}
	}
	return actStop
}

// exited handles the end, by itself, of c's running incarnation.
func (s *Sup) exited(c *Child, f failure) {
	word := "exit"
	switch {
	case f.hung:
		word = "hang"
	case f.panicked:
		word = "panic"
	case !f.nilErr:
		word = "fail"
	}
	s.m.log("%s %s#%d", word, c.Path, c.Inc)
	c.Sub, c.State = nil, Stopped
	switch decide(c, f) {
	case actStop:
		s.leaveStopped(c)
	case actEscalate:
		s.request(request{kind: reqEscalate, c: c, f: f, reason: "decider"})
	case actRestart:
		if s.Spec.Strategy == policy.OneForOne {
			s.restartAlone(c, f)
			return
		}
		c.State = Restarting
		s.request(request{kind: reqRestart, c: c, inc: c.Inc, at: s.m.Now, f: f})
	}
}

// leaveStopped: c ended for good; a temporary child goes, a significant one
// may shut the supervisor down.
func (s *Sup) leaveStopped(c *Child) {
	if c.Spec.Restart == policy.Temporary {
		s.remove(c)
	}
	if !c.Spec.Significant {
		return
	}
	if s.Spec.Auto == policy.AllSignificant {
		for _, x := range s.Children {
			if x.Spec.Significant && x.State != Stopped {
				return // running, in backoff or about to be restarted
			}
		}
	}
	s.request(request{kind: reqAuto, c: c})
}

// request hands q to the supervisor. A restart waits its turn behind a
// group restart's delay; an escalation or auto-shutdown cannot wait: it ends
// the delay (the group is not started) and is handled at once.
func (s *Sup) request(q request) {
	if q.kind != reqRestart && s.Busy {
		s.group.dead = true
		s.group, s.Busy, s.failed, s.members, s.queue = nil, false, nil, nil, nil
	}
	s.queue = append(s.queue, q)
	s.drain()
}

// drain handles queued requests in order while the supervisor is free.
func (s *Sup) drain() {
	for s.Running && !s.Busy && len(s.queue) > 0 {
		q := s.queue[0]
		s.queue = s.queue[1:]
		s.handle(q)
	}
}

func (s *Sup) handle(q request) {
	switch q.kind {
	case reqEscalate:
		s.escalate(q.c, q.f, q.reason)
	case reqAuto:
		s.m.log("autoshutdown %s", s.Path)
		s.terminate(Outcome{}, failure{})
	case reqRestart:
		c := q.c
		if c.Inc != q.inc || c.State != Restarting || s.index(c) < 0 {
			return // restarted with a group meanwhile: one failure, one restart
		}
		if delay, ok := s.admit(c, q.at, q.f); ok {
			s.groupRestart(c, delay)
		}
	}
}

// admit counts a restart of c that failed at at. On false the supervisor
// has escalated.
func (s *Sup) admit(c *Child, at time.Time, f failure) (time.Duration, bool) {
	if !s.window.Allow(at) {
		s.escalate(c, f, "intensity")
		return 0, false
	}
	b := s.backoff(c)
	if b.ResetsAfter(at.Sub(c.readyAt)) {
		c.consecutive = 0
	}
	if b.Exhausted(c.consecutive + 1) {
		s.escalate(c, f, "backoff")
		return 0, false
	}
	d := b.Delay(c.consecutive, 0)
	c.consecutive++
	c.Restarts++
	return d, true
}

// restartAlone is OneForOne: c alone, after its backoff. The incarnation
// number is taken when the restart is decided.
func (s *Sup) restartAlone(c *Child, f failure) {
	delay, ok := s.admit(c, s.m.Now, f)
	if !ok {
		return
	}
	c.Inc++
	if delay == 0 {
		s.begin(c)
		return
	}
	c.State = Backoff
	c.timer = s.m.after(delay, func() {
		c.timer = nil
		s.begin(c)
	})
}

// groupRestart is OneForAll and RestForOne: stop the group newest-first,
// wait the failed child's delay, start the group in order.
func (s *Sup) groupRestart(failed *Child, delay time.Duration) {
	first := 0
	if s.Spec.Strategy == policy.RestForOne {
		first = s.index(failed)
	}
	var temps []*Child
	for i := len(s.Children) - 1; i >= first; i-- {
		x := s.Children[i]
		if x == failed {
			continue
		}
		s.stop(x)
		if x.Spec.Restart == policy.Temporary {
			temps = append(temps, x)
		}
	}
	for _, x := range temps {
		s.remove(x)
	}
	if s.Spec.Strategy == policy.RestForOne {
		first = s.index(failed)
	}
	group := slices.Clone(s.Children[first:])
	for _, x := range group {
		x.State = Restarting
		if x != failed {
			x.Restarts++ // a bystander's restart is one of its restarts (the failed one's was counted by admit)
		}
	}
	if delay == 0 {
		s.startAll(group)
		return
	}
	failed.State = Backoff
	s.Busy, s.failed, s.members = true, failed, group
	s.group = s.m.after(delay, s.endDelay)
}

// endDelay starts the group of a group restart and handles what queued
// meanwhile.
func (s *Sup) endDelay() {
	if s.group != nil {
		s.group.dead = true
	}
	group := s.members
	s.group, s.Busy, s.failed, s.members = nil, false, nil, nil
	s.startAll(group)
	s.drain()
}

func (s *Sup) startAll(group []*Child) {
	for _, x := range group {
		if s.Running && s.index(x) >= 0 && x.State != Running { // not restarted or removed by request
			s.startChild(x)
		}
	}
}

// escalate gives up because of c, which failed with f.
func (s *Sup) escalate(c *Child, f failure, why string) {
	origin := f.origin
	if origin == "" {
		origin = c.Path
	}
	out := Outcome{Escalated: true, Supervisor: s.Path, Child: c.Path, Origin: origin, Why: why}
	switch why {
	case "intensity":
		out.Restarts = s.Spec.Intensity.MaxRestarts // the window was full: those were made, this one is refused
	case "backoff":
		out.Restarts = c.consecutive
	default:
		out.Restarts = s.window.Count(s.m.Now)
	}
	s.m.log("escalate %s child=%s origin=%s reason=%s", s.Path, c.Path, origin, why)
	s.terminate(out, f)
}

// terminate ends the run with out: the children stop newest-first, then
// the parent sees the exit (or the root's Run returns).
func (s *Sup) terminate(out Outcome, f failure) {
	s.halt()
	if s.parent == nil {
		s.m.Done, s.m.Result = true, out
		return
	}
	// The parent applies its own policy to a nested escalation, whatever
	// sentinel the leaf's error wraps.
	g := failure{nilErr: true}
	if out.Escalated {
		g = failure{origin: out.Origin}
	}
	s.parent.exited(s.self, g)
}
