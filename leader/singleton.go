package leader

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/liblog"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// StatusWaiting is the status text (actor.SetStatus) of a Singleton that
// waits for leadership.
const StatusWaiting = "waiting for leadership"

// ErrAlreadyRunning is returned by Run while another Run of the same
// Singleton is in progress: one Singleton is one candidate, with at most
// one actor running.
var ErrAlreadyRunning = errors.New("leader: singleton already running")

// Singleton runs its actor only while this replica leads its election; it
// is an actor.Actor to give to a supervisor (see Child). Make one with New.
// The package documentation has the rules it keeps.
type Singleton struct {
	cfg    Config // immutable after New
	timing Timing // immutable after New

	// idle is set while no actor runs under a live term (waiting, the
	// start delay, a stop after a loss): then the Singleton beats on its
	// incarnation's behalf (see beatWhileIdle).
	idle atomic.Bool

	mu      sync.Mutex
	running bool        // guarded by mu: a Run is in progress
	kept    keptTerm    // guarded by mu: the term kept after the actor failed or a restart, for the next Run
	keptLog *zap.Logger // guarded by mu: the logger of the Run that kept it
	hold    *time.Timer // guarded by mu: resigns kept when Hold has passed
	keeps   uint64      // guarded by mu: terms kept so far; numbers each keptTerm (its gen)
	// expiring is closed when the resignation of a term whose Hold
	// expired ends; nil when none runs. Guarded by mu. A new Run waits
	// for it before it campaigns (waitExpiring).
	expiring chan struct{}
	stats    Stats // guarded by mu
}

// Stats are a Singleton's running totals and its hand-over times, for
// metrics. The totals only grow, over all the Singleton's runs.
type Stats struct {
	Won       uint64 // terms won by Campaign
	Lost      uint64 // terms lost (the backend said so) before this replica resigned them
	Resigned  uint64 // terms this replica resigned
	Kept      uint64 // incarnations that led on under a term kept after a failure or a restart
	FailStops uint64 // calls of Config.Exit
	Leading   bool   // the actor runs (or is about to) under a term
	Token     Token  // the token of the current or last term
	// StartWait is how long the last term won waited before its actor
	// started (StartDelay, as measured); a term lost before its actor
	// started leaves it as it was.
	StartWait time.Duration
	// StopTook is how long the actor took to return after the last loss.
	StopTook time.Duration
	// StartWaits counts the actor starts after a start wait (the terms won
	// that were not lost before their actor started), and StartWaitSum
	// adds up those waits. StopTooks counts the returns of the actor after
	// a loss, and StopTookSum adds up how long they took. They are running
	// totals so that a reader who samples Stats now and then misses no
	// hand-over: the mean over an interval is the difference of the sums
	// over the difference of the counts, while StartWait and StopTook show
	// only the last one.
	StartWaits   uint64
	StartWaitSum time.Duration
	StopTooks    uint64
	StopTookSum  time.Duration
}

// Stats returns a copy of s's totals.
func (s *Singleton) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Election returns the name of s's election, as its log entries and
// status texts say it: Config.Election, or "election" if that was empty.
// It is empty only for a Singleton not made by New.
func (s *Singleton) Election() string { return s.cfg.Election }

// Run is the Singleton's actor: it campaigns, waits, runs the actor while
// leading and campaigns again after a loss, until ctx is done. It returns
// nil after a stop and after the actor ended normally (having resigned),
// and the actor's error when it failed while leading (keeping the term for
// Hold). It calls actor.Ready at once: a standby replica is ready.
func (s *Singleton) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return ErrAlreadyRunning
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	// The package's own entries: no caller or stack of its code.
	log := liblog.Zap(supervisor.Logger(ctx)).With(zap.String("election", s.cfg.Election))
	s.idle.Store(true)
	defer s.beatWhileIdle(ctx)()
	kept := s.detachKept()
	if kept.term == nil {
		actor.SetStatus(ctx, StatusWaiting) // before Ready: a ready standby shows it
	}
	actor.Ready(ctx) // before useKept, which may take a resignation's time
	if !waitExpiring(ctx, kept.expiring) {
		return nil
	}
	term := s.useKept(log, kept.term)
	if term != nil && time.Now().Before(kept.startAt) {
		// Kept by a restart during the start delay: what is left of it
		// still protects the former leader's stop.
		var stopped bool
		term, stopped = s.waitStart(ctx, log, term, kept.won, kept.startAt)
		if stopped {
			return nil
		}
	}
	for {
		if term == nil {
			var stopped bool
			var err error
			term, stopped, err = s.win(ctx, log)
			if err != nil {
				return err
			}
			if stopped {
				return nil
			}
			if term == nil {
				continue // lost before the start
			}
		}
		err, lost := s.lead(ctx, log, term)
		switch {
		case lost:
			s.resign(log, term, "after its actor returned")
			if ctx.Err() != nil {
				return nil
			}
			term = nil
		case ctx.Err() != nil:
			s.release(ctx, log, term)
			return err
		case err == nil:
			log.Info("leader: actor ended; resigning", zap.Int64("token", int64(term.Token())))
			s.resign(log, term, "after its actor ended")
			return nil
		default:
			s.keep(log, term, "its actor failed")
			return err
		}
	}
}

// win campaigns and waits out the start delay. It returns the term to lead
// under, nil if the term was lost meanwhile, stopped if ctx is done (having
// resigned or kept the term as the stop's cause says), and Campaign's
// error, which fails the child.
func (s *Singleton) win(ctx context.Context, log *zap.Logger) (_ Term, stopped bool, _ error) {
	actor.SetStatus(ctx, StatusWaiting)
	log.Debug("leader: campaigning")
	term, err := s.cfg.Elector.Campaign(ctx)
	if ctx.Err() != nil {
		if term != nil {
			s.resign(log, term, "stopped while campaigning")
		}
		return nil, true, nil
	}
	if err == nil && term == nil {
		err = errors.New("the elector returned no term and no error")
	}
	if err != nil {
		return nil, false, fmt.Errorf("leader: campaign for %s: %w", s.cfg.Election, err)
	}
	won := time.Now()
	tok := term.Token()
	s.mu.Lock()
	s.stats.Won++
	s.stats.Token = tok
	s.mu.Unlock()
	delay := s.StartDelay()
	log.Info("leader: won the election; waiting for any former leader to stop",
		zap.Int64("token", int64(tok)), zap.Duration("delay", delay))
	term, stopped = s.waitStart(ctx, log, term, won, won.Add(delay))
	return term, stopped, nil
}

// waitStart waits until startAt, the end of the start delay of term, won
// at won. It returns term to lead under, nil if the term was lost
// meanwhile (resigned), and stopped if ctx is done: a term kept then for a
// restart keeps its startAt, so that the next incarnation waits out what
// is left of the delay too.
func (s *Singleton) waitStart(ctx context.Context, log *zap.Logger, term Term, won, startAt time.Time) (_ Term, stopped bool) {
	left := time.Until(startAt)
	actor.SetStatus(ctx, fmt.Sprintf("won leadership (token %d); starting after %v", term.Token(), left))
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-t.C:
		wait := time.Since(won)
		s.mu.Lock()
		s.stats.StartWait = wait
		s.stats.StartWaits++
		s.stats.StartWaitSum += wait
		s.mu.Unlock()
		return term, false
	case <-term.Lost():
		s.lost(log, term, "before its actor started")
		s.resign(log, term, "after losing it before its actor started")
		return nil, false
	case <-ctx.Done():
		s.releaseBefore(ctx, log, term, won, startAt)
		return nil, true
	}
}

// beatWhileIdle keeps the child's liveness deadline (beat form) met while
// no actor runs under a live term: waiting for leadership, the start
// delay, and the stop after a loss (which StopBound bounds) are not the
// actor's work, so heartbeats do not apply to them. While the actor leads,
// its own beats count (its context derives from the incarnation's). It
// starts a goroutine beating every third of the deadline, only for a child
// with a deadline, and returns the function that stops it and waits.
func (s *Singleton) beatWhileIdle(ctx context.Context) (stop func()) {
	d, ok := supervisor.BeatTimeout(ctx)
	if !ok || !actor.Watched(ctx) {
		return func() {}
	}
	every := max(d/3, time.Millisecond)
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if s.idle.Load() {
				actor.Beat(ctx)
			}
			select {
			case <-t.C:
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
