package proptest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// registry knows the live incarnation of every leaf: the test tells exactly
// that incarnation how to end. It records a violation if a leaf ever has two
// live incarnations.
type registry struct {
	mu         sync.Mutex
	live       map[string]chan Exit
	ctxs       map[string]context.Context // each live incarnation's context, to beat with
	violations []string
}

func newRegistry() *registry {
	return &registry{live: make(map[string]chan Exit), ctxs: make(map[string]context.Context)}
}

func (r *registry) enter(path string, ctx context.Context) chan Exit {
	ch := make(chan Exit, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live[path] != nil {
		r.violations = append(r.violations, "two live incarnations of "+path)
	}
	r.live[path], r.ctxs[path] = ch, ctx
	return ch
}

func (r *registry) leave(path string, ch chan Exit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live[path] == ch {
		delete(r.live, path)
		delete(r.ctxs, path)
	}
}

// beat beats with the context of the live incarnation of each of paths.
func (r *registry) beat(paths []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range paths {
		if ctx := r.ctxs[p]; ctx != nil {
			actor.Beat(ctx)
		}
	}
}

// send tells the live incarnation of path to end; false if there is none.
func (r *registry) send(path string, how Exit) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.live[path]
	if ch == nil {
		return false
	}
	ch <- how
	return true
}

func (r *registry) paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.live))
	for p := range r.live {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

var errBoom = errors.New("boom")

func exitErr(how Exit) error {
	switch how {
	case ExitFail:
		return errBoom
	case ExitNoRestart:
		return fmt.Errorf("done: %w", policy.ErrDoNotRestart)
	case ExitEscalate:
		return fmt.Errorf("fatal: %w", policy.ErrEscalate)
	}
	return nil
}

// leaf is a scripted actor: it registers its incarnation, says it is ready,
// and blocks until it is stopped or told how to end.
type leaf struct{ reg *registry }

func (l *leaf) Run(ctx context.Context) error {
	path := supervisor.Path(ctx)
	ch := l.reg.enter(path, ctx)
	defer l.reg.leave(path, ch)
	actor.Ready(ctx)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case how := <-ch:
		if how == ExitHang {
			<-ctx.Done() // no more beats: found hung, then cancelled
			return ctx.Err()
		}
		if how == ExitPanic {
			panic("scripted panic in " + path)
		}
		return exitErr(how)
	}
}

// tracer turns the events of the whole tree into the model's trace lines.
// It records them with a supervisortest.Recorder and translates them when
// asked.
type tracer struct{ rec supervisortest.Recorder }

// snapshot returns the trace lines of the events so far, and the events
// that should never happen in these trees.
func (tr *tracer) snapshot() (lines, bad []string) {
	started := make(map[string]uint64) // last started incarnation per path
	for _, e := range tr.rec.Events() {
		id := fmt.Sprintf("%s#%d", e.Path, e.Incarnation)
		switch e.Kind {
		case supervisor.EventStarted:
			started[e.Path] = e.Incarnation
			lines = append(lines, "start "+id)
		case supervisor.EventStopped:
			if started[e.Path] == e.Incarnation {
				lines = append(lines, "stop "+id)
			} else {
				lines = append(lines, "cancel "+id) // a backoff that never ran
			}
		case supervisor.EventExited:
			lines = append(lines, "exit "+id)
		case supervisor.EventFailed:
			lines = append(lines, "fail "+id)
		case supervisor.EventPanicked:
			lines = append(lines, "panic "+id)
		case supervisor.EventHung:
			if !errors.Is(e.Err, supervisor.ErrHung) {
				bad = append(bad, fmt.Sprintf("hung event without ErrHung: %v", e.Err))
			}
			lines = append(lines, "hang "+id)
		case supervisor.EventRemoved:
			lines = append(lines, "remove "+e.Path)
		case supervisor.EventAutoShutdown:
			lines = append(lines, "autoshutdown "+e.Supervisor)
		case supervisor.EventEscalated:
			var esc *supervisor.EscalationError
			if !errors.As(e.Err, &esc) {
				bad = append(bad, fmt.Sprintf("escalated event without *EscalationError: %v", e.Err))
				continue
			}
			lines = append(lines, fmt.Sprintf("escalate %s child=%s origin=%s reason=%s", esc.Supervisor, esc.Child, esc.Origin, esc.Reason))
		case supervisor.EventObserverDropped, supervisor.EventStartFailed, supervisor.EventStopTimeout, supervisor.EventStuckExited:
			bad = append(bad, fmt.Sprintf("unexpected event %v %s: %v", e.Kind, id, e.Err))
		}
	}
	return lines, bad
}

var zeroJitter = func() float64 { return 0 }

// harness runs the real tree in the current synctest bubble next to its
// model, and compares them.
type harness struct {
	m      *Model
	tree   *Node
	sups   map[string]*supervisor.Supervisor
	reg    *registry
	tr     *tracer
	run    *supervisortest.Running
	runErr error
	ran    bool // Run returned
}

func childSpec(n *Node, actorOf supervisor.Child) supervisor.Child {
	c := actorOf
	c.Name, c.Restart, c.Significant, c.Backoff = n.Name, n.Restart, n.Significant, n.Backoff
	if n.Live {
		c.Liveness = &supervisor.Liveness{Timeout: HangTimeout}
	}
	return c
}

// beat beats every running leaf the model says is alive (not told to hang),
// in the real tree and in the model, at the same instant. The runs call it
// after every step, which advances the clocks by at most a second, less
// than HangTimeout.
func (h *harness) beat() {
	h.reg.beat(h.m.ExitableLeaves())
	h.m.Beat()
}

func (h *harness) build(n *Node, path string, extra ...supervisor.Option) (*supervisor.Supervisor, error) {
	var kids []supervisor.Child
	for _, k := range n.Children {
		if !k.Sup {
			kids = append(kids, childSpec(k, supervisor.Child{Actor: &leaf{reg: h.reg}, WaitReady: k.WaitReady}))
			continue
		}
		sub, err := h.build(k, path+"/"+k.Name)
		if err != nil {
			return nil, err
		}
		kids = append(kids, childSpec(k, supervisor.Child{Actor: sub}))
	}
	opts := append([]supervisor.Option{
		supervisor.WithStrategy(n.Strategy),
		supervisor.WithIntensity(n.Intensity),
		supervisor.WithBackoff(n.SupBackoff),
		supervisor.WithAutoShutdown(n.Auto),
		supervisor.WithJitter(zeroJitter),
		supervisor.WithChildren(kids...),
	}, extra...)
	s, err := supervisor.New(n.Name, opts...)
	if err != nil {
		return nil, err
	}
	h.sups[path] = s
	return s, nil
}

// startHarness builds and runs tree; call it inside a synctest bubble,
// with the bubble's t.
func startHarness(t supervisortest.TB, tree *Node) (*harness, error) {
	h := &harness{tree: tree, sups: make(map[string]*supervisor.Supervisor), reg: newRegistry(), tr: new(tracer)}
	root, err := h.build(tree, tree.Name, supervisor.WithObserver(&h.tr.rec), supervisor.WithObserverBuffer(4096))
	if err != nil {
		return nil, err
	}
	h.m = NewModel(tree, time.Now())
	h.run = supervisortest.Start(t, root)
	synctest.Wait()
	return h, nil
}

// tick moves both clocks to a fresh instant, so that no two events of a case
// share one and no two timers can fire together.
func (h *harness) tick() {
	time.Sleep(time.Microsecond)
	h.m.Advance(time.Microsecond)
}

func (h *harness) exit(path string, how Exit) error {
	h.tick()
	if !h.reg.send(path, how) {
		return fmt.Errorf("model says %s is running, but it has no live incarnation", path)
	}
	synctest.Wait()
	h.m.Exit(path, how)
	return nil
}

func (h *harness) advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
	h.m.Advance(d)
}

func leafChild(h *harness, n *Node) supervisor.Child {
	return childSpec(n, supervisor.Child{Actor: &leaf{reg: h.reg}, WaitReady: n.WaitReady})
}

func (h *harness) add(path string, n *Node) error {
	h.tick()
	if err := h.sups[path].Add(leafChild(h, n)); err != nil {
		return fmt.Errorf("Add(%s/%s): %w", path, n.Name, err)
	}
	synctest.Wait()
	h.m.Add(path, n)
	return nil
}

func (h *harness) remove(path, name string) error {
	h.tick()
	if err := h.sups[path].Remove(name); err != nil {
		return fmt.Errorf("Remove(%s/%s): %w", path, name, err)
	}
	synctest.Wait()
	h.m.Remove(path, name)
	return nil
}

func (h *harness) restart(path, name string) error {
	h.tick()
	if err := h.sups[path].Restart(name); err != nil {
		return fmt.Errorf("Restart(%s/%s): %w", path, name, err)
	}
	synctest.Wait()
	h.m.Restart(path, name)
	return nil
}

// stop cancels the root (if still running) and waits for Run to return.
func (h *harness) stop() {
	h.tick()
	h.run.Cancel()
	synctest.Wait()
	h.m.Cancel()
	h.poll()
	if !h.ran {
		select {
		case <-h.run.Done():
			h.poll()
		case <-time.After(24 * time.Hour):
		}
	}
}

// poll notes whether the root's Run has returned, and with what.
func (h *harness) poll() {
	if !h.ran {
		h.ran, h.runErr = h.run.Returned()
	}
}
