package leader

import (
	"context"
	"time"

	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// Leadership and the tree. A stop of the child resigns, except a restart:
// the incarnation's context.Cause tells which (supervisor.ErrManualStop
// for Supervisor.Restart, supervisor.ErrRestarting for a restart with its
// group keep the term, and so does supervisor.ErrHung, a failure; a
// shutdown, a Remove and an escalation resign). A failure of the actor
// keeps the term too, for the next incarnation; but
// no incarnation learns that its supervisor gave up on the child (it is
// not running then, and a supervisor tells a child nothing after its
// return), so a kept term has a deadline: Hold. The next incarnation
// takes the term over (detachKept, useKept) and leads on without a new
// election; past Hold, the timer resigns it. A term lost while kept is
// resigned when taken.

// release ends what a stopped incarnation held: it keeps term for the next
// incarnation if the stop is a restart, and resigns it otherwise. Called
// after the actor returned.
func (s *Singleton) release(ctx context.Context, log *zap.Logger, term Term) {
	s.releaseBefore(ctx, log, term, time.Time{}, time.Time{})
}

// releaseBefore is release for a term won at won whose actor may start at
// startAt (zero: at once); a term kept keeps startAt, so that the next
// incarnation waits out what is left of the start delay.
func (s *Singleton) releaseBefore(ctx context.Context, log *zap.Logger, term Term, won, startAt time.Time) {
	// The supervisor cancels with its sentinels themselves: a comparison
	// suffices, and calls no method of an error that may be user code.
	switch context.Cause(ctx) {
	case supervisor.ErrManualStop, supervisor.ErrRestarting:
		s.keepUntil(log, term, "its child restarts", won, startAt)
	case supervisor.ErrHung:
		// A hang (a missed liveness deadline) is a failure of the actor,
		// which the supervisor restarts: kept, as after an error.
		s.keepUntil(log, term, "its actor hung", won, startAt)
	default:
		s.resign(log, term, "as its child stops")
	}
}

// keptTerm is a term kept for the next incarnation. startAt is when its
// start delay ends (zero or past: the next incarnation leads on at once),
// won when it was won.
type keptTerm struct {
	term         Term
	won, startAt time.Time
	// gen numbers the keep (Singleton.keeps, from 1): the Hold timer of
	// the keep that set it expires it, none other. Terms are never
	// compared with ==: a backend's Term may be a value of a type ==
	// cannot compare (a struct holding a slice), and the comparison would
	// panic in the timer's goroutine with s.mu held.
	gen uint64
	// expiring, set by detachKept only, is the resignation of a term
	// whose Hold expired, if one runs (see Singleton.expiring).
	expiring chan struct{}
}

// keep keeps term for Hold, for the next incarnation, which leads on at
// once.
func (s *Singleton) keep(log *zap.Logger, term Term, why string) {
	s.keepUntil(log, term, why, time.Time{}, time.Time{})
}

// keepUntil keeps term for Hold, for the next incarnation, which starts
// its actor at startAt at the earliest.
func (s *Singleton) keepUntil(log *zap.Logger, term Term, why string, won, startAt time.Time) {
	log.Info("leader: keeping leadership for the next incarnation: "+why,
		zap.Int64("token", int64(term.Token())), zap.Duration("hold", s.cfg.Hold))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keeps++
	gen := s.keeps
	s.kept, s.keptLog = keptTerm{term: term, won: won, startAt: startAt, gen: gen}, log
	s.hold = time.AfterFunc(s.cfg.Hold, func() { s.expire(gen) })
}

// detachKept takes the term kept by the last incarnation (a zero keptTerm
// if none), and stops its Hold; it calls nothing of the term.
func (s *Singleton) detachKept() keptTerm {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.kept
	kept.expiring = s.expiring
	s.kept, s.keptLog = keptTerm{}, nil
	if s.hold != nil {
		s.hold.Stop() // if it fired already, expire finds nothing kept
		s.hold = nil
	}
	return kept
}

// useKept returns term, taken by detachKept, to lead on under, if it is not
// lost, or nil. A lost one is resigned.
func (s *Singleton) useKept(log *zap.Logger, term Term) Term {
	if term == nil {
		return nil
	}
	select {
	case <-term.Lost():
		s.lost(log, term, "while kept for a restart")
		s.resign(log, term, "after losing it while kept")
		return nil
	default:
	}
	s.mu.Lock()
	s.stats.Kept++
	s.mu.Unlock()
	log.Info("leader: leading on under the kept term", zap.Int64("token", int64(term.Token())))
	return term
}

// expire resigns the term kept by keep gen if it is still kept: no
// incarnation took it within Hold. It runs in the timer's goroutine,
// bounded by the resignation's timeout.
func (s *Singleton) expire(gen uint64) {
	s.mu.Lock()
	if s.kept.term == nil || s.kept.gen != gen {
		s.mu.Unlock()
		return
	}
	term, log := s.kept.term, s.keptLog
	s.kept, s.keptLog, s.hold = keptTerm{}, nil, nil
	done := make(chan struct{})
	s.expiring = done
	s.mu.Unlock()
	s.resign(log, term, "kept for Hold without a new incarnation")
	s.mu.Lock()
	if s.expiring == done {
		s.expiring = nil
	}
	s.mu.Unlock()
	close(done)
}

// waitExpiring waits for the resignation of a term whose Hold expired, if
// one runs (bounded by the renew deadline), before a new incarnation
// campaigns: a campaign racing it could win, as a renewal under the same
// candidate identity (the Kubernetes Lease's holder), what the resignation
// then gives up, and lead without holding anything. It reports false if
// ctx ended first.
func waitExpiring(ctx context.Context, expiring chan struct{}) bool {
	if expiring == nil {
		return true
	}
	select {
	case <-expiring:
		return true
	case <-ctx.Done():
		return false
	}
}

// resign resigns term, bounded by the renew deadline: a backend that cannot
// reach its store within it would count the term lost anyway, and the
// leadership then ends with its TTL.
func (s *Singleton) resign(log *zap.Logger, term Term, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timing.RenewDeadline)
	defer cancel()
	err := term.Resign(ctx)
	s.mu.Lock()
	s.stats.Resigned++
	s.mu.Unlock()
	if err != nil {
		log.Warn("leader: resigning failed; the leadership ends with its TTL: "+why,
			zap.Int64("token", int64(term.Token())), zap.Error(err))
		return
	}
	log.Info("leader: resigned "+why, zap.Int64("token", int64(term.Token())))
}
