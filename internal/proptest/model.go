// Package proptest checks the supervisor against a reference model of the
// semantics in DESIGN.md: model-based property tests (pgregory.net/rapid
// under testing/synctest), a chaos soak test and a bad-input table test.
//
// The model is small, single-threaded and driven by events in virtual time.
// It knows nothing of goroutines: a supervisor handles one request at a time,
// a group restart that waits out a backoff delay keeps it busy (requests
// queue up and are handled in order afterwards), and every other transition
// happens at the instant of the event that caused it. It uses the pure
// values of package policy (Window, Backoff), which are tested on their own.
package proptest

import (
	"fmt"
	"slices"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// Exit is how a scripted leaf incarnation ends.
type Exit uint8

// The ways a leaf can end.
const (
	ExitNormal    Exit = iota // returns nil
	ExitFail                  // returns an error
	ExitPanic                 // panics
	ExitNoRestart             // returns an error wrapping policy.ErrDoNotRestart
	ExitEscalate              // returns an error wrapping policy.ErrEscalate
	ExitHang                  // stops beating (a leaf with Live): found hung at its deadline, then returns when cancelled
)

var exitNames = [...]string{"normal", "fail", "panic", "norestart", "escalate", "hang"}

// HangTimeout is the liveness deadline of a leaf with Live. The harness
// beats every live leaf after each step (a step advances at most 1s), so
// only a leaf told to hang misses it. It is off the microsecond grid of
// every other timer (the steps' ticks and advances, whole-millisecond
// backoff delays), so that a hang is never found at the instant another
// timer fires.
const HangTimeout = 1500*time.Millisecond + 300*time.Nanosecond

// String returns the exit's name.
func (e Exit) String() string { return exitNames[e] }

// Node specifies a node of a tree: a leaf or a supervisor, with the fields
// of its Child spec in its parent (unused for the root).
type Node struct {
	Name        string
	Sup         bool
	Restart     policy.RestartType
	Significant bool
	WaitReady   bool            // leaves only
	Live        bool            // leaves only: has a liveness deadline of HangTimeout (beat form)
	Backoff     *policy.Backoff // per-child override
	// Supervisor configuration.
	Strategy   policy.Strategy
	Intensity  policy.Intensity
	SupBackoff policy.Backoff
	Auto       policy.AutoShutdown
	Children   []*Node
}

// State is a child's state, named as supervisor.State names it.
type State uint8

// Child states.
const (
	Stopped State = iota
	Running
	Backoff
	Restarting
)

var stateNames = [...]string{"stopped", "running", "backoff", "restarting"}

// String returns "stopped", "running", "backoff" or "restarting".
func (s State) String() string { return stateNames[s] }

// Outcome is what a supervisor's Run returned: nil (zero Outcome) or an
// escalation.
type Outcome struct {
	Escalated                      bool
	Supervisor, Child, Origin, Why string
	Restarts                       int // restarts made before giving up (EscalationError.Restarts)
}

// String formats the outcome for messages.
func (o Outcome) String() string {
	if !o.Escalated {
		return "nil"
	}
	return fmt.Sprintf("escalation %s child=%s origin=%s reason=%s restarts=%d", o.Supervisor, o.Child, o.Origin, o.Why, o.Restarts)
}

// failure is an exit's error as a decider sees it.
type failure struct {
	nilErr, panicked, noRestart, escalate, hung bool
	origin                                      string // leaf path where it began
}

// Model is the reference model of one tree.
type Model struct {
	Now    time.Time
	Trace  []string // "start P#n", "stop P#n", "fail P#n", "escalate ...", ...
	Root   *Sup
	Done   bool    // the root's Run returned
	Result Outcome // what it returned
	Tie    bool    // two timers fired at one instant: real order undetermined
	timers []*timer
}

type timer struct {
	at   time.Time
	fn   func()
	dead bool
}

// Sup is one run of a supervisor in the model.
type Sup struct {
	Path     string
	Spec     *Node
	Children []*Child // start order
	Running  bool
	Busy     bool // a group restart waits out its delay
	m        *Model
	parent   *Sup
	self     *Child // this supervisor's record in parent
	window   *policy.Window
	queue    []request
	group    *timer   // the delay of a group restart
	failed   *Child   // whose delay it is
	members  []*Child // the group, to start when the delay ends
}

// Child is a child's record in its supervisor's run.
type Child struct {
	Name, Path  string
	Spec        *Node
	State       State
	Inc         int // incarnation, from 1 in each run of the supervisor
	Restarts    int // its restarts in this run: admitted after its own exits, and as a bystander of a group restart
	Sub         *Sup
	consecutive int
	readyAt     time.Time
	timer       *timer // OneForOne backoff
	lastBeat    time.Time
	hangTimer   *timer // a leaf told to hang: when it is found hung
}

type reqKind uint8

const (
	reqRestart reqKind = iota
	reqEscalate
	reqAuto
)

type request struct {
	kind   reqKind
	c      *Child
	inc    int
	at     time.Time
	f      failure
	reason string
}

// NewModel starts a model of the tree root at now.
func NewModel(root *Node, now time.Time) *Model {
	m := &Model{Now: now}
	m.Root = m.newSup(root, root.Name, nil, nil)
	m.Root.start()
	return m
}

func (m *Model) log(format string, args ...any) {
	m.Trace = append(m.Trace, fmt.Sprintf(format, args...))
}

func (m *Model) after(d time.Duration, fn func()) *timer {
	t := &timer{at: m.Now.Add(d), fn: fn}
	m.timers = append(m.timers, t)
	return t
}

// Advance moves virtual time forward by d, firing due timers in order.
func (m *Model) Advance(d time.Duration) {
	target := m.Now.Add(d)
	for {
		m.timers = slices.DeleteFunc(m.timers, func(t *timer) bool { return t.dead })
		var next *timer
		for _, t := range m.timers {
			if t.at.After(target) {
				continue
			}
			if next != nil && t.at.Equal(next.at) {
				m.Tie = true
			}
			if next == nil || t.at.Before(next.at) {
				next = t
			}
		}
		if next == nil {
			break
		}
		m.Now = next.at
		next.dead = true
		next.fn()
	}
	m.Now = target
}

// Exit ends the running incarnation of the leaf at path.
func (m *Model) Exit(path string, how Exit) {
	s, c := m.find(path)
	if c == nil || c.State != Running || c.Spec.Sup {
		panic("model: no running leaf " + path)
	}
	if how == ExitHang {
		// Found hung at its deadline, from its last beat or its start;
		// a stop before then cancels that (see stop).
		at := c.lastBeat
		if c.readyAt.After(at) {
			at = c.readyAt
		}
		c.hangTimer = m.after(at.Add(HangTimeout).Sub(m.Now), func() {
			c.hangTimer = nil
			s.exited(c, failure{hung: true, origin: path})
		})
		return
	}
	f := failure{nilErr: how == ExitNormal, panicked: how == ExitPanic,
		noRestart: how == ExitNoRestart, escalate: how == ExitEscalate, origin: path}
	s.exited(c, f)
}

// Beat records a beat, now, of every running leaf with Live that was not
// told to hang.
func (m *Model) Beat() {
	for _, s := range m.Sups() {
		for _, c := range s.Children {
			if c.Spec.Live && c.State == Running && c.hangTimer == nil {
				c.lastBeat = m.Now
			}
		}
	}
}

// ExitableLeaves returns the paths of the running leaves that can be told
// how to end: those not already told to hang.
func (m *Model) ExitableLeaves() []string {
	var out []string
	for _, s := range m.Sups() {
		for _, c := range s.Children {
			if !c.Spec.Sup && c.State == Running && c.hangTimer == nil {
				out = append(out, c.Path)
			}
		}
	}
	return out
}

// Add appends a new leaf to the running supervisor at path and starts it.
func (m *Model) Add(path string, n *Node) {
	s := m.Sup(path)
	c := &Child{Name: n.Name, Path: path + "/" + n.Name, Spec: n}
	s.Children = append(s.Children, c)
	s.startChild(c)
}

// Remove stops and removes the named child of the supervisor at path.
// Removing the child whose backoff a group restart waits out ends the
// delay: the rest of the group starts at once.
func (m *Model) Remove(path, name string) {
	s := m.Sup(path)
	c := s.child(name)
	kick := s.kick(c)
	s.stop(c)
	s.remove(c)
	if kick {
		s.endDelay()
	}
}

// Restart stops the named child of the supervisor at path and starts it
// again at once, uncounted and without touching its siblings. Restarting
// the child whose backoff a group restart waits out ends the delay.
func (m *Model) Restart(path, name string) {
	s := m.Sup(path)
	c := s.child(name)
	kick := s.kick(c)
	s.stop(c)
	c.consecutive = 0
	s.startChild(c)
	if kick {
		s.endDelay()
	}
}

// kick reports whether a request on c ends a group restart's delay.
func (s *Sup) kick(c *Child) bool {
	if !s.Busy {
		return false
	}
	return c == s.failed
}

// Cancel cancels the root's context: a clean shutdown, Run returns nil.
func (m *Model) Cancel() {
	if m.Done {
		return
	}
	m.Root.halt()
	m.Done, m.Result = true, Outcome{}
}

// Sups returns every running supervisor, depth-first in start order.
func (m *Model) Sups() []*Sup {
	var out []*Sup
	var walk func(s *Sup)
	walk = func(s *Sup) {
		if !s.Running {
			return
		}
		out = append(out, s)
		for _, c := range s.Children {
			if c.Sub != nil {
				walk(c.Sub)
			}
		}
	}
	walk(m.Root)
	return out
}

// Sup returns the running supervisor at path, or nil.
func (m *Model) Sup(path string) *Sup {
	for _, s := range m.Sups() {
		if s.Path == path {
			return s
		}
	}
	return nil
}

// RunningLeaves returns the paths of the leaves with a live incarnation.
func (m *Model) RunningLeaves() []string {
	var out []string
	for _, s := range m.Sups() {
		for _, c := range s.Children {
			if !c.Spec.Sup && c.State == Running {
				out = append(out, c.Path)
			}
		}
	}
	return out
}

func (m *Model) find(path string) (*Sup, *Child) {
	for _, s := range m.Sups() {
		for _, c := range s.Children {
			if c.Path == path {
				return s, c
			}
		}
	}
	return nil, nil
}
