package testutil

import (
	"slices"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/arbor-go/arbor/supervisor"
)

// Recorder is a supervisor.Observer that keeps every event it receives, in
// the order they arrive. Events of one supervisor arrive in the order of
// their Seq; events of different supervisors (each delivers through its own
// goroutine) may interleave in any order. It is safe for concurrent use; the
// zero value is ready to use.
//
// Recorder does not wait: under testing/synctest, call synctest.Wait (after
// the supervisor has done its work, or after its Run returned, which drains
// the observers) and then read what was recorded.
type Recorder struct {
	mu     sync.Mutex
	events []supervisor.Event
}

var _ supervisor.Observer = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return new(Recorder) }

// Observe records e. It implements supervisor.Observer.
func (r *Recorder) Observe(e supervisor.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
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

// Reset forgets every recorded event.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Kinds returns one line per recorded event, oldest first: its kind and its
// path, as "started root/db" or "escalated root". It is the compact form to
// compare with an expected sequence.
func (r *Recorder) Kinds(kinds ...supervisor.EventKind) []string {
	events := r.Filter(kinds...)
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = KindPath(e)
	}
	return out
}

// KindPath returns the kind and path of e as one string, "started root/db".
func KindPath(e supervisor.Event) string {
	return e.Kind.String() + " " + e.Path
}

// Filter returns the recorded events of the given kinds, oldest first; with
// no kinds, every event.
func (r *Recorder) Filter(kinds ...supervisor.EventKind) []supervisor.Event {
	if len(kinds) == 0 {
		return r.Events()
	}
	return r.Where(func(e supervisor.Event) bool {
		return slices.Contains(kinds, e.Kind)
	})
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
		if e.Kind == kind && (path == "" || e.Path == path) {
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
		if e := r.events[i]; e.Kind == kind && (path == "" || e.Path == path) {
			return e, true
		}
	}
	return supervisor.Event{}, false
}

// ObservedLogger returns a zap logger that records every entry at level or
// above, and the records, which tests can filter and count (for example
// logs.FilterMessageSnippet("restarting").Len()). The logger adds no caller
// and no stack traces of its own.
func ObservedLogger(level zapcore.Level) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(level)
	return zap.New(core), logs
}
