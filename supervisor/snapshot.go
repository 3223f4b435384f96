package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Snapshot is a picture of one node of a live supervision tree, a worker or
// a supervisor with its children, taken by Supervisor.Snapshot. It is a
// plain value: it can be printed as an indented tree (String) or encoded as
// JSON with stable snake_case field names, and decoded back.
//
// The picture of each supervisor is taken under its own lock, one
// supervisor after another, so a tree that changes meanwhile may show a
// child supervisor a moment later than its parent.
type Snapshot struct {
	// Path is the node's tree path, such as "root/db/pool-3".
	Path string `json:"path"`
	// Name is the node's path segment: its Child.Name in its parent, or the
	// root's name.
	Name string `json:"name"`
	// Kind is KindWorker or KindSupervisor; a child that runs a *Supervisor,
	// even wrapped, is a supervisor.
	Kind Kind `json:"kind"`
	// State is a child's state in its parent. The top node of a snapshot,
	// when it has no parent, gets its state from its run: StateStarting,
	// StateRunning, StateStopping, or StateStopped when not running. A
	// running child supervisor that has begun its own shutdown shows
	// StateStopping.
	State State `json:"state"`
	// Restarts counts the child's restarts in its parent's current run, as
	// ChildInfo.Restarts does (see Counters.Restarts).
	Restarts int `json:"restarts"`
	// LastError is the text of the child's last failure, if any.
	LastError string `json:"last_error,omitempty"`
	// Status is the text the child's current incarnation last published
	// with actor.SetStatus, such as "waiting for leadership"; empty when it
	// published none (or cleared it), and once the incarnation has ended.
	Status string `json:"status,omitempty"`
	// Since is when the child entered its state, in UTC; zero (and omitted
	// from JSON) for a child that never started and for a root.
	Since time.Time `json:"since,omitzero"`
	// Ready reports that the node is running and ready: a worker that
	// called actor.Ready (or does not wait for readiness), a supervisor past
	// its start phase and not shutting down.
	Ready bool `json:"ready"`
	// WaitReady reports that the parent waits for the child's readiness,
	// and that the tree's readiness depends on it (always true for a child
	// supervisor).
	WaitReady bool `json:"wait_ready"`
	// Incarnation numbers the child's incarnations in its parent's current
	// run, from 1; zero if it never started.
	Incarnation uint64 `json:"incarnation"`
	// Counters are a supervisor's running totals (Supervisor.Counters);
	// nil for a worker.
	Counters *Counters `json:"counters,omitempty"`
	// Children are a running supervisor's children, in start order.
	Children []Snapshot `json:"children,omitempty"`
}

// Health is the readiness and liveness of a tree, read in one walk through
// it (see Supervisor.Readiness and Supervisor.Liveness).
type Health struct {
	// Ready reports that the supervisor is running, past its start phase,
	// not shutting down, and that every WaitReady child in its tree is
	// running and ready.
	Ready bool `json:"ready"`
	// Reason says why the supervisor itself is not ready: ReasonStarting,
	// ReasonShuttingDown or ReasonNotRunning; empty when it is.
	Reason string `json:"reason,omitempty"`
	// NotReady lists the paths of the WaitReady children (child supervisors
	// included) anywhere in the tree that are not running and ready.
	NotReady []string `json:"not_ready,omitempty"`
	// Alive is false only when a child in the tree is stuck: it did not stop
	// within its shutdown timeout and its goroutine is still running.
	Alive bool `json:"alive"`
	// Stuck lists the paths of the stuck children.
	Stuck []string `json:"stuck,omitempty"`
}

// Reasons a supervisor itself is not ready, as Health.Reason.
const (
	ReasonStarting     = "starting"
	ReasonShuttingDown = "shutting down"
	ReasonNotRunning   = "not running"
)

// Snapshot returns a picture of the supervisor's live tree, recursive
// through child supervisors (also those wrapped in another actor). A
// supervisor that is not running is a node in StateStopped without
// children. Taking a snapshot changes nothing in the tree; it is safe for
// concurrent use, also from the tree's own children.
func (s *Supervisor) Snapshot() Snapshot {
	if !s.made() {
		return Snapshot{Kind: KindSupervisor, State: StateStopped}
	}
	// Run as a child: the top node tells its parent's record of it.
	s.mu.Lock()
	var p *child
	if s.r != nil {
		p = s.r.parent
	}
	s.mu.Unlock()
	var h Health
	if p == nil {
		return s.walk(nil, &h)
	}
	ps := p.r.s
	ps.mu.Lock()
	rec := copyChildLocked(p)
	ps.mu.Unlock()
	return s.walk(&rec, &h)
}

// Health returns the readiness and liveness of the supervisor's tree.
func (s *Supervisor) Health() Health {
	h := Health{Reason: ReasonNotRunning}
	if !s.made() {
		h.Alive = true // nothing runs, so nothing is stuck
		return h
	}
	s.walk(nil, &h)
	h.NotReady = slices.DeleteFunc(h.NotReady, func(p string) bool { return p == "" })
	if len(h.NotReady) == 0 {
		h.NotReady = nil
	}
	h.Ready = h.Reason == "" && len(h.NotReady) == 0
	h.Alive = len(h.Stuck) == 0
	return h
}

// Readiness reports whether the tree is ready to serve: false while the
// supervisor is starting, from the moment its shutdown begins (before any
// child is stopped), and when it is not running; otherwise true when every
// child marked WaitReady, child supervisors included, is running and ready,
// recursively. A child without WaitReady never makes the tree unready, not
// even in backoff. notReady lists the paths of the WaitReady children that
// are not ready; it may be empty when only the supervisor itself is not
// ready (Health says why).
func (s *Supervisor) Readiness() (ready bool, notReady []string) {
	h := s.Health()
	return h.Ready, h.NotReady
}

// Liveness reports whether the process is healthy in the sense that
// restarting it would not help: it is false only when a child somewhere in
// the tree is stuck (it did not stop within its shutdown timeout and its
// goroutine still runs), and stuck lists their paths. A graceful shutdown in
// progress does not make it false; the abandoned goroutines of an earlier
// run of a supervisor that are still running do.
func (s *Supervisor) Liveness() (alive bool, stuck []string) {
	h := s.Health()
	return h.Alive, h.Stuck
}

// nodeCopy holds what a snapshot needs from a child record, copied under
// its supervisor's lock.
type nodeCopy struct {
	rec       *child // identity only: not read without its supervisor's lock
	sub       *Supervisor
	name      string
	path      string
	kind      Kind
	state     State
	restarts  int
	lastText  string
	status    string
	since     time.Time
	ready     bool
	waitReady bool
	stuck     bool
	gen       uint64
}

// copyChildLocked copies c. Called with c's supervisor's mutex held.
func copyChildLocked(c *child) nodeCopy {
	lastText, _ := c.lastLocked()
	return nodeCopy{
		rec: c, sub: c.subLocked(), name: c.spec.Name, path: c.path, kind: c.kind(),
		state: c.publicLocked(), restarts: int(c.restarts), lastText: lastText, status: c.statusLocked(), since: c.r.at(c.since),
		ready: c.readyLocked(), waitReady: c.waitReady,
		stuck: c.st == lsStuck, gen: c.gen,
	}
}

func (k *nodeCopy) node() Snapshot {
	n := Snapshot{
		Path: k.path, Name: k.name, Kind: k.kind, State: k.state,
		Restarts: k.restarts, LastError: k.lastText, Status: k.status, Ready: k.ready,
		WaitReady: k.waitReady, Incarnation: k.gen,
	}
	if !k.since.IsZero() {
		n.Since = k.since.UTC()
	}
	return n
}

// walk returns the snapshot of s, seen as the child rec of its parent (nil
// for a top node without one), and adds the readiness and liveness of its
// children to h; for a top node it also sets h.Reason. It holds s.mu only
// to copy: never while it calls into a child supervisor, whose Run takes
// s.mu.
func (s *Supervisor) walk(rec *nodeCopy, h *Health) Snapshot {
	s.mu.Lock()
	r := s.r
	if r != nil && rec != nil && r.parent != rec.rec {
		r = nil // running under another parent: not this child's tree
	}
	for _, l := range s.lingeringLocked() {
		h.Stuck = append(h.Stuck, l.Path)
	}
	if r == nil {
		if s.r == nil {
			for _, c := range s.stuckLeft {
				h.Stuck = append(h.Stuck, c.path)
			}
		}
		s.mu.Unlock()
		if rec != nil {
			return rec.node()
		}
		return Snapshot{Path: s.name, Name: s.name, Kind: KindSupervisor, State: StateStopped}
	}
	ph, path := r.phase, r.path
	selfReady := ph == phaseRunning && r.ready
	kids := make([]nodeCopy, 0, r.count)
	for c := r.first; c != nil; c = c.next {
		kids = append(kids, copyChildLocked(c))
	}
	s.mu.Unlock()

	var n Snapshot
	if rec != nil {
		n = rec.node()
		if !selfReady {
			n.Ready = false
			if n.State == StateRunning && ph >= phaseStopping {
				n.State = StateStopping
			}
		}
	} else {
		n = Snapshot{Path: path, Name: path[strings.LastIndex(path, PathSeparator)+1:], Kind: KindSupervisor, State: phaseState(ph), Ready: selfReady}
		switch {
		case selfReady:
			h.Reason = ""
		case ph == phaseStarting:
			h.Reason = ReasonStarting
		default:
			h.Reason = ReasonShuttingDown
		}
	}
	counts := s.Counters()
	n.Counters = &counts
	if len(kids) > 0 {
		n.Children = make([]Snapshot, 0, len(kids))
	}
	for i := range kids {
		k := &kids[i]
		if k.stuck {
			h.Stuck = append(h.Stuck, k.path)
		}
		// k's place in NotReady is before its subtree's: kept now, filled
		// below if k is not ready, else dropped by Health (a path is never
		// empty). Inserting it after the subtree's would move them all, at
		// every level: quadratic in a deep tree while it starts.
		at := -1
		if k.waitReady {
			at = len(h.NotReady)
			h.NotReady = append(h.NotReady, "")
		}
		var kn Snapshot
		if k.sub != nil {
			kn = k.sub.walk(k, h)
		} else {
			kn = k.node()
		}
		if at >= 0 && !(kn.State == StateRunning && kn.Ready) {
			h.NotReady[at] = k.path
		}
		n.Children = append(n.Children, kn)
	}
	return n
}

func phaseState(ph phase) State {
	switch ph {
	case phaseStarting:
		return StateStarting
	case phaseRunning:
		return StateRunning
	case phaseStopping:
		return StateStopping
	}
	return StateStopped
}

// UnmarshalText decodes a state from its name, as MarshalText encodes it.
func (s *State) UnmarshalText(text []byte) error {
	for i, name := range stateNames {
		if string(text) == name {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("supervisor: unknown state %q", text)
}

// MarshalText encodes the kind as its name: "auto", "worker" or
// "supervisor".
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind from its name, as MarshalText encodes it.
func (k *Kind) UnmarshalText(text []byte) error {
	for _, v := range []Kind{KindAuto, KindWorker, KindSupervisor} {
		if string(text) == v.String() {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("supervisor: unknown kind %q", text)
}
