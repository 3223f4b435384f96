package supervisortest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/errwalk"
	"github.com/arbor-go/arbor/policy"
)

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
// as its Panic, Goexit or Err says, in that order of precedence. While it
// waits, before it is cancelled, Script.Do can end it at once instead.
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
	// waits for its context to be cancelled, or for Script.Do), AtOnce (or
	// any negative value) at once.
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
// stop in Log, counts its incarnations and remembers why each was cancelled.
//
// Every wait selects on a timer or a channel together with the context, so a
// Script runs on virtual time inside a testing/synctest bubble and is
// durably blocked while it waits. Create the Script inside the bubble that
// runs it: its channels belong to the bubble that first uses them.
//
// Set the exported fields before the first Run and do not change them
// afterwards; the methods are safe for concurrent use.
type Script struct {
	Name    string // used in Log entries as NAME#i
	Log     *Log   // where starts and stops are recorded; may be nil
	Steps   []Step // what the first incarnations do, in order
	Default Step   // what every incarnation beyond Steps does

	mu      sync.Mutex
	starts  int                              // guarded by mu
	stops   int                              // guarded by mu
	live    int                              // guarded by mu
	maxLive int                              // guarded by mu
	causes  map[int]error                    // guarded by mu; incarnation -> context.Cause
	release chan struct{}                    // guarded by mu; made on first use, closed by Release
	ctl     chan func(context.Context) error // guarded by mu; made on first use, fed by Do
}

var _ actor.Actor = (*Script)(nil)

// Run implements actor.Actor: it plays the next Step. See Step.
func (s *Script) Run(ctx context.Context) error {
	s.mu.Lock()
	s.starts++
	n := s.starts
	s.live++
	s.maxLive = max(s.maxLive, s.live)
	release, ctl := s.releaseLocked(), s.ctlLocked()
	step := s.Default
	if n <= len(s.Steps) {
		step = s.Steps[n-1]
	}
	s.mu.Unlock()
	defer s.exit()

	id := fmt.Sprintf("%s#%d", s.Name, n)
	s.Log.Add("start " + id)

	end, cancelled := play(ctx, step, ctl)
	if cancelled {
		s.recordCause(n, context.Cause(ctx))
		ignoreCancel(step.IgnoreCancelFor, release)
	}
	if end != nil {
		return s.callEnd(ctx, id, end)
	}
	switch {
	case step.Panic != nil:
		s.Log.Add("stop " + id + " panic")
		panic(step.Panic)
	case step.Goexit:
		s.Log.Add("stop " + id + " goexit")
		runtime.Goexit()
	}
	s.logStop(id, step.Err)
	return step.Err
}

func (s *Script) logStop(id string, err error) {
	if err != nil {
		s.Log.Add("stop " + id + " err=" + errwalk.Message(err)) // guarded: a scripted error may panic
	} else {
		s.Log.Add("stop " + id)
	}
}

// callEnd ends the incarnation id as f does, logging how.
func (s *Script) callEnd(ctx context.Context, id string, f func(context.Context) error) error {
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			s.Log.Add("stop " + id + " panic")
			panic(v)
		}
		s.Log.Add("stop " + id + " goexit") // runtime.Goexit goes on after this
	}()
	err := f(ctx)
	returned = true
	s.logStop(id, err)
	return err
}

// play runs the timeline of step until it ends by itself (nil, false), is
// ended by Do (the function to call, false) or ctx is cancelled (nil, true).
func play(ctx context.Context, step Step, ctl <-chan func(context.Context) error) (end func(context.Context) error, cancelled bool) {
	start := time.Now()
	readyFirst := step.ReadyAfter >= 0 &&
		(step.RunFor == 0 || step.ReadyAfter <= max(step.RunFor, 0))
	if readyFirst {
		if step.ReadyAfter > 0 {
			if elapsed, end := wait(ctx, step.ReadyAfter, ctl); !elapsed {
				return end, end == nil
			}
		}
		actor.Ready(ctx)
	}
	switch {
	case step.RunFor < 0:
		return nil, false
	case step.RunFor == 0:
		select {
		case <-ctx.Done():
			return nil, true
		case end := <-ctl:
			return end, false
		}
	}
	if elapsed, end := wait(ctx, step.RunFor-time.Since(start), ctl); !elapsed {
		return end, end == nil
	}
	return nil, false
}

// wait waits for d, or until ctx is cancelled or Do sends a function. It
// reports whether d elapsed first, and returns the function if Do sent one.
// A d <= 0 elapses at once, unless ctx is already cancelled.
func wait(ctx context.Context, d time.Duration, ctl <-chan func(context.Context) error) (elapsed bool, end func(context.Context) error) {
	if ctx.Err() != nil {
		return false, nil
	}
	if d <= 0 {
		return true, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return false, nil
	case end := <-ctl:
		return false, end
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

// releaseLocked returns the release channel, making it on first use.
func (s *Script) releaseLocked() chan struct{} {
	if s.release == nil {
		s.release = make(chan struct{})
	}
	return s.release
}

// ctlLocked returns the channel of Do, making it on first use.
func (s *Script) ctlLocked() chan func(context.Context) error {
	if s.ctl == nil {
		s.ctl = make(chan func(context.Context) error)
	}
	return s.ctl
}

// Do makes a running incarnation that is waiting (for its context, its
// ReadyAfter or its RunFor) and not yet cancelled call f with its context,
// and then end as f does: return f's error, panic or call runtime.Goexit.
// The Log records the end as for a Step. Do blocks until an incarnation
// takes f: call it once one runs (for example after synctest.Wait). Under
// testing/synctest, a Do that no incarnation will ever take is reported as
// a deadlock of the bubble.
func (s *Script) Do(f func(ctx context.Context) error) {
	s.mu.Lock()
	ctl := s.ctlLocked()
	s.mu.Unlock()
	ctl <- f
}

// End makes a running incarnation return err now: a failure, or a normal
// exit if err is nil. It is Do with a function that returns err.
func (s *Script) End(err error) {
	s.Do(func(context.Context) error { return err })
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
