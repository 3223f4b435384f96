package testutil

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
)

// Log is a thread-safe, ordered record of what scripted actors did. A Script
// adds "start NAME#i" when incarnation i begins and, just before it ends,
// "stop NAME#i", followed by " err=TEXT" when it returns an error, " panic"
// when it panics or " goexit" when it calls runtime.Goexit. Several Scripts
// may share one Log, which then gives the order of starts and stops across a
// tree. The zero value is ready to use; a nil *Log records nothing.
type Log struct {
	mu      sync.Mutex
	entries []string
}

// NewLog returns an empty Log.
func NewLog() *Log { return new(Log) }

// Add appends an entry. Tests may add their own markers, such as "cancel",
// between the entries of Scripts.
func (l *Log) Add(entry string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.entries = append(l.entries, entry)
	l.mu.Unlock()
}

// Entries returns a copy of the entries, oldest first.
func (l *Log) Entries() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.entries...)
}

// Len returns the number of entries.
func (l *Log) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset removes every entry.
func (l *Log) Reset() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// Special durations for the fields of a Step.
const (
	// NoReady, as Step.ReadyAfter, means the incarnation never calls
	// actor.Ready.
	NoReady time.Duration = -1
	// AtOnce, as Step.RunFor, means the incarnation ends as soon as it has
	// started (after calling actor.Ready if ReadyAfter is 0), without
	// waiting for anything.
	AtOnce time.Duration = -1
	// Forever, as Step.IgnoreCancelFor, means the incarnation ignores
	// cancellation until Script.Release is called. It equals
	// policy.Infinity.
	Forever = policy.Infinity
)

// Step is what one incarnation of a Script does. The zero Step calls
// actor.Ready at once, waits for its context to be cancelled and returns
// nil.
//
// An incarnation runs along one timeline: it calls actor.Ready at ReadyAfter
// (unless RunFor ends it first), ends by itself at RunFor, or is cancelled
// before that; once cancelled it goes on for IgnoreCancelFor. Then it ends
// as its Panic, Goexit or Err says, in that order of precedence.
type Step struct {
	// Err is what the incarnation returns; nil is a normal exit. It is
	// returned whether the incarnation ended by itself or was cancelled.
	Err error
	// Panic, when non-nil, makes the incarnation panic with this value
	// instead of returning.
	Panic any
	// Goexit makes the incarnation call runtime.Goexit instead of
	// returning (Panic takes precedence).
	Goexit bool
	// ReadyAfter is when the incarnation calls actor.Ready with its
	// context: 0 at once, NoReady (or any negative value) never. Ready is
	// not called if the incarnation is cancelled or ends first; when
	// ReadyAfter equals RunFor, Ready comes first.
	ReadyAfter time.Duration
	// RunFor is when the incarnation ends by itself: 0 means never (it
	// waits for its context to be cancelled), AtOnce (or any negative
	// value) at once.
	RunFor time.Duration
	// IgnoreCancelFor is how long the incarnation keeps running after its
	// context is cancelled, as a worker that is slow to stop: 0 not at all,
	// Forever (or any negative value) until Script.Release is called.
	// Release also cuts a finite wait short.
	IgnoreCancelFor time.Duration
}

// Script is a scripted actor for deterministic tests. Incarnation i
// (counting from 1 over the Script's whole life, across supervisor runs)
// follows Steps[i-1], or Default beyond the list. It records every start and
// stop in Log.
//
// Every wait selects on a timer or a channel together with the context, so a
// Script runs on virtual time inside a testing/synctest bubble and is
// durably blocked while it waits. Create the Script inside the bubble that
// runs it: its release channel belongs to the bubble that first uses it.
//
// Set the exported fields before the first Run and do not change them
// afterwards; the methods are safe for concurrent use.
type Script struct {
	Name    string // used in Log entries as NAME#i
	Log     *Log   // where starts and stops are recorded; may be nil
	Steps   []Step // what the first incarnations do, in order
	Default Step   // what every incarnation beyond Steps does

	mu      sync.Mutex
	starts  int
	stops   int
	live    int
	maxLive int
	causes  map[int]error
	release chan struct{}
}

// Run implements actor.Actor: it plays the next Step. See Step.
func (s *Script) Run(ctx context.Context) error {
	s.mu.Lock()
	s.starts++
	n := s.starts
	s.live++
	s.maxLive = max(s.maxLive, s.live)
	release := s.releaseLocked()
	step := s.Default
	if n <= len(s.Steps) {
		step = s.Steps[n-1]
	}
	s.mu.Unlock()
	defer s.exit()

	id := fmt.Sprintf("%s#%d", s.Name, n)
	s.Log.Add("start " + id)

	if cancelled := play(ctx, step); cancelled {
		s.recordCause(n, context.Cause(ctx))
		ignoreCancel(step.IgnoreCancelFor, release)
	}

	switch {
	case step.Panic != nil:
		s.Log.Add("stop " + id + " panic")
		panic(step.Panic)
	case step.Goexit:
		s.Log.Add("stop " + id + " goexit")
		runtime.Goexit()
	case step.Err != nil:
		s.Log.Add("stop " + id + " err=" + step.Err.Error())
	default:
		s.Log.Add("stop " + id)
	}
	return step.Err
}

// play runs the timeline of step until it ends by itself (false) or ctx is
// cancelled (true).
func play(ctx context.Context, step Step) (cancelled bool) {
	start := time.Now()
	readyFirst := step.ReadyAfter >= 0 &&
		(step.RunFor == 0 || step.ReadyAfter <= max(step.RunFor, 0))
	if readyFirst {
		if step.ReadyAfter > 0 && !wait(ctx, step.ReadyAfter) {
			return true
		}
		actor.Ready(ctx)
	}
	switch {
	case step.RunFor < 0:
		return false
	case step.RunFor == 0:
		<-ctx.Done()
		return true
	}
	return !wait(ctx, step.RunFor-time.Since(start))
}

// wait waits for d, or until ctx is cancelled. It reports whether d elapsed
// first. A d <= 0 elapses at once, unless ctx is already cancelled.
func wait(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ignoreCancel keeps going for d after cancellation, or until release is
// closed.
func ignoreCancel(d time.Duration, release <-chan struct{}) {
	switch {
	case d == 0:
		return
	case d < 0 || d >= Forever:
		<-release
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-release:
	}
}

func (s *Script) exit() {
	s.mu.Lock()
	s.stops++
	s.live--
	s.mu.Unlock()
}

func (s *Script) recordCause(n int, cause error) {
	s.mu.Lock()
	if s.causes == nil {
		s.causes = make(map[int]error)
	}
	s.causes[n] = cause
	s.mu.Unlock()
}

// releaseLocked returns the release channel, creating it on first use.
func (s *Script) releaseLocked() chan struct{} {
	if s.release == nil {
		s.release = make(chan struct{})
	}
	return s.release
}

// Release lets every incarnation that ignores cancellation (see
// Step.IgnoreCancelFor) return now, and every later one return as soon as it
// is cancelled. Call it, for example with defer, so that a test that
// provokes a stuck child ends without leaking its goroutine; under
// testing/synctest, call it inside the bubble (t.Cleanup of the bubble's t
// runs there). It is safe to call more than once.
func (s *Script) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.releaseLocked()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// Starts returns how many incarnations have started.
func (s *Script) Starts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// Stops returns how many incarnations have ended, by returning, panicking
// or calling runtime.Goexit.
func (s *Script) Stops() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stops
}

// Live returns how many incarnations are running now.
func (s *Script) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}

// MaxLive returns the largest number of incarnations that ever ran at the
// same time. A supervisor must keep it at most 1 for each child.
func (s *Script) MaxLive() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxLive
}

// Cause returns context.Cause of incarnation n's context (counting from 1)
// as the incarnation saw it when it noticed the cancellation, or nil if
// incarnation n has not been cancelled (it ended by itself, is still
// running, or never started).
func (s *Script) Cause(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.causes[n]
}

// atOnce is a Step that ends as soon as it starts, without calling Ready.
func atOnce(err error) Step {
	return Step{Err: err, ReadyAfter: NoReady, RunFor: AtOnce}
}

// Blocker returns a Script whose every incarnation calls actor.Ready at
// once, then waits for its context to be cancelled and returns nil.
func Blocker(name string, log *Log) *Script {
	return &Script{Name: name, Log: log}
}

// FailN returns a Script whose first n incarnations return err at once,
// without calling actor.Ready, and whose later incarnations behave as a
// Blocker. For a WaitReady child the failures are therefore start failures.
func FailN(name string, log *Log, n int, err error) *Script {
	steps := make([]Step, n)
	for i := range steps {
		steps[i] = atOnce(err)
	}
	return &Script{Name: name, Log: log, Steps: steps}
}

// Failer returns a Script whose every incarnation returns err at once,
// without calling actor.Ready: a crash loop.
func Failer(name string, log *Log, err error) *Script {
	return &Script{Name: name, Log: log, Default: atOnce(err)}
}

// Panicker returns a Script whose every incarnation panics with value at
// once, without calling actor.Ready.
func Panicker(name string, log *Log, value any) *Script {
	step := atOnce(nil)
	step.Panic = value
	return &Script{Name: name, Log: log, Default: step}
}

// ReturnNil returns a Script whose every incarnation returns nil at once,
// without calling actor.Ready: a normal exit.
func ReturnNil(name string, log *Log) *Script {
	return &Script{Name: name, Log: log, Default: atOnce(nil)}
}

// Stubborn returns a Script whose every incarnation calls actor.Ready at
// once, waits for its context to be cancelled and then ignores the
// cancellation until Release is called: a child that gets stuck at
// shutdown. Tests must call Release before they end.
func Stubborn(name string, log *Log) *Script {
	return &Script{Name: name, Log: log, Default: Step{IgnoreCancelFor: Forever}}
}
