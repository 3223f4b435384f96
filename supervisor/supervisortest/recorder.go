package supervisortest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/arbor-go/arbor/supervisor"
)

// Recorder is a supervisor.Observer that keeps every event it receives, in
// the order they arrive. Events of one supervisor arrive in the order of
// their Seq; events of different supervisors may interleave. Pass it to
// supervisor.WithObserver on the root: it then sees the whole tree.
//
// Reading methods return what has arrived so far; WaitFor and WaitKind
// block until an event arrives. Under testing/synctest, either call
// synctest.Wait and then read, or wait. A Recorder is safe for concurrent
// use; the zero value is ready to use. Use one Recorder inside a single
// synctest bubble, or outside any.
type Recorder struct {
	mu     sync.Mutex
	events []supervisor.Event // guarded by mu
	gen    int                // guarded by mu; incremented by Reset
	// wake is made by a waiter that found nothing new and closed (then
	// cleared) by the next Observe or Reset. Guarded by mu.
	wake chan struct{}
}

var _ supervisor.Observer = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return new(Recorder) }

// Observe records e and wakes the waiters. It implements supervisor.Observer.
func (r *Recorder) Observe(e supervisor.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	wake := r.takeWakeLocked()
	r.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}

// takeWakeLocked returns the waiters' channel, to be closed, and clears it.
func (r *Recorder) takeWakeLocked() chan struct{} {
	wake := r.wake
	r.wake = nil
	return wake
}

// Events returns a copy of every recorded event, oldest first.
func (r *Recorder) Events() []supervisor.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Len returns the number of recorded events.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Reset forgets every recorded event. Waits in progress start over with
// the events recorded after it.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.gen++
	wake := r.takeWakeLocked()
	r.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}

// Kinds returns one line per recorded event of the given kinds (every
// event when none is given), oldest first, as KindPath writes it:
// "started root/db", "escalated root". It is the compact form to compare
// with an expected sequence (see AssertEqual and AssertOrder).
func (r *Recorder) Kinds(kinds ...supervisor.EventKind) []string {
	events := r.Filter(kinds...)
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = KindPath(e)
	}
	return out
}

// KindPath returns the kind and path of e as one string: "started root/db".
func KindPath(e supervisor.Event) string {
	return e.Kind.String() + " " + e.Path
}

// Filter returns the recorded events of the given kinds, oldest first; with
// no kinds, every event.
func (r *Recorder) Filter(kinds ...supervisor.EventKind) []supervisor.Event {
	if len(kinds) == 0 {
		return r.Events()
	}
	return r.Where(func(e supervisor.Event) bool { return slices.Contains(kinds, e.Kind) })
}

// Where returns the recorded events for which keep returns true, oldest
// first. keep is called without the Recorder's lock held.
func (r *Recorder) Where(keep func(supervisor.Event) bool) []supervisor.Event {
	var out []supervisor.Event
	for _, e := range r.Events() {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Count returns how many recorded events have the given kind and path; an
// empty path matches every path.
func (r *Recorder) Count(kind supervisor.EventKind, path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if match(e, kind, path) {
			n++
		}
	}
	return n
}

// Last returns the most recent event with the given kind and path (an empty
// path matches every path), and whether there is one.
func (r *Recorder) Last(kind supervisor.EventKind, path string) (supervisor.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if e := r.events[i]; match(e, kind, path) {
			return e, true
		}
	}
	return supervisor.Event{}, false
}

func match(e supervisor.Event, kind supervisor.EventKind, path string) bool {
	return e.Kind == kind && (path == "" || e.Path == path)
}

// WaitFor blocks until a recorded event satisfies pred, already recorded or
// still to come, and returns the oldest such event. pred is called without
// the Recorder's lock held, once per event (again after a Reset). If ctx
// ends first, WaitFor returns an error wrapping context.Cause(ctx).
//
// Inside a synctest bubble WaitFor is durably blocked while it waits; a
// context with a timeout then fails the wait at a deterministic virtual
// time, and a context without one lets synctest report the deadlock.
func (r *Recorder) WaitFor(ctx context.Context, pred func(supervisor.Event) bool) (supervisor.Event, error) {
	e, err := r.wait(ctx, func() func(supervisor.Event) bool { return pred })
	if err != nil {
		return e, fmt.Errorf("supervisortest: no matching event recorded: %w", err)
	}
	return e, nil
}

// WaitKind blocks until at least n events with the given kind and path (an
// empty path matches every path) have been recorded, and returns nil. If
// ctx ends first, it returns an error saying how many were seen, wrapping
// context.Cause(ctx).
func (r *Recorder) WaitKind(ctx context.Context, kind supervisor.EventKind, path string, n int) error {
	if n <= 0 {
		return nil
	}
	seen := 0
	_, err := r.wait(ctx, func() func(supervisor.Event) bool {
		seen = 0
		return func(e supervisor.Event) bool {
			if match(e, kind, path) {
				seen++
			}
			return seen >= n
		}
	})
	if err != nil {
		return fmt.Errorf("supervisortest: %d of %d %v events for %q recorded: %w", seen, n, kind, path, err)
	}
	return nil
}

// wait feeds every recorded event, then every new one, to a scanner made by
// scan, until the scanner returns true; it makes a fresh scanner after a
// Reset. It returns the event the scanner accepted, or context.Cause(ctx).
func (r *Recorder) wait(ctx context.Context, scan func() func(supervisor.Event) bool) (supervisor.Event, error) {
	next, gen := 0, -1
	var accept func(supervisor.Event) bool
	for {
		r.mu.Lock()
		if gen != r.gen {
			next, gen, accept = 0, r.gen, nil
		}
		fresh := slices.Clone(r.events[next:])
		next = len(r.events)
		var wake chan struct{}
		if len(fresh) == 0 {
			if r.wake == nil {
				r.wake = make(chan struct{})
			}
			wake = r.wake
		}
		r.mu.Unlock()
		if accept == nil {
			accept = scan() // outside the lock: scan is the caller's code
		}
		for _, e := range fresh {
			if accept(e) {
				return e, nil
			}
		}
		if wake == nil {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return supervisor.Event{}, context.Cause(ctx)
		}
	}
}
