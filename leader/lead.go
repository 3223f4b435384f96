package leader

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/arbor-go/arbor/actor"
	"go.uber.org/zap"
)

// lead runs the actor under term on the calling goroutine (so that a panic
// or runtime.Goexit in it reaches the supervisor as the child's own), with
// a watcher goroutine that cancels it when the term is lost and enforces
// the stop bound. It returns the actor's error, and lost if the term was
// lost while the actor ran (the actor's error is then logged, not a
// failure). A panic or Goexit keeps the term for Hold, as any failure.
func (s *Singleton) lead(ctx context.Context, log *zap.Logger, term Term) (err error, lost bool) {
	tok := term.Token()
	s.mu.Lock()
	s.stats.Leading = true
	s.stats.Token = tok
	s.mu.Unlock()
	// The actor's own Ready is not the child's: the Singleton was ready
	// from the start (a standby is ready).
	actx, cancel := context.WithCancelCause(WithTerm(actor.WithReady(ctx, nil), term))
	defer cancel(nil)
	actor.SetStatus(ctx, fmt.Sprintf("leader (token %d)", tok))
	log.Info("leader: actor starts", zap.Int64("token", int64(tok)))

	w := &watcher{s: s, ctx: ctx, log: log, term: term, cancel: cancel, returned: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.run()
	}()
	normal := false
	defer func() {
		s.idle.Store(true)
		if normal {
			return
		}
		// A panic or Goexit in the actor: stop the watcher, then let it go
		// on to the supervisor, keeping the term for the restart, unless
		// it was lost or the child stops (a shutdown, a Remove: resigned,
		// as after a return).
		close(w.returned)
		wg.Wait()
		s.setLeading(false)
		switch {
		case !w.lostAt.IsZero():
			s.resign(log, term, "after its actor returned")
		case ctx.Err() != nil:
			s.release(ctx, log, term)
		default:
			s.keep(log, term, "its actor panicked")
		}
	}()
	s.idle.Store(false) // the actor beats for itself now
	err = s.cfg.Actor.Run(actx)
	normal = true
	close(w.returned)
	wg.Wait()
	s.setLeading(false)
	if !w.lostAt.IsZero() {
		took := time.Since(w.lostAt)
		s.mu.Lock()
		s.stats.StopTook = took
		s.stats.StopTooks++
		s.stats.StopTookSum += took
		s.mu.Unlock()
		log.Info("leader: actor returned after the loss", zap.Int64("token", int64(tok)),
			zap.Duration("took", took), zap.NamedError("returned", err))
		return err, true
	}
	return err, false
}

func (s *Singleton) setLeading(on bool) {
	s.mu.Lock()
	s.stats.Leading = on
	s.mu.Unlock()
}

// watcher watches one term while the actor runs.
type watcher struct {
	s        *Singleton
	ctx      context.Context // the incarnation's
	log      *zap.Logger
	term     Term
	cancel   context.CancelCauseFunc // cancels the actor's context
	returned chan struct{}           // closed once the actor returned
	// lostAt is when the watcher saw the loss; written by the watcher
	// before it returns, read after the wait for it.
	lostAt time.Time
}

// run waits for the actor's return, the term's loss or the incarnation's
// stop. After a loss (also one during a stop) the actor has StopBound to
// return; past it the process ends (fail-stop).
func (w *watcher) run() {
	select {
	case <-w.returned:
		return
	case <-w.term.Lost():
	case <-w.ctx.Done():
		// The supervisor stops the child: the actor's context, derived
		// from the incarnation's, is cancelled with the same cause. A loss
		// meanwhile still bounds the wait.
		select {
		case <-w.returned:
			return
		case <-w.term.Lost():
		}
	}
	w.lostAt = time.Now()
	w.s.idle.Store(true) // the stop is bounded by StopBound, not by the heartbeat
	w.cancel(fmt.Errorf("%w: %w", ErrLeadershipLost, lossCause(w.term)))
	w.s.lost(w.log, w.term, "while its actor ran; stopping it")
	actor.SetStatus(w.ctx, fmt.Sprintf("lost leadership (token %d); stopping", w.term.Token()))
	t := time.NewTimer(w.s.cfg.StopBound)
	defer t.Stop()
	select {
	case <-w.returned:
	case <-t.C:
		w.s.failStop(w.log, w.term)
		<-w.returned
	}
}

// lossCause returns the term's Err, or a placeholder for a backend that
// closed Lost without one.
func lossCause(term Term) error {
	if err := term.Err(); err != nil {
		return err
	}
	return errUnknownLoss
}

var errUnknownLoss = fmt.Errorf("the backend gave no reason")

// lost logs and counts the loss of term.
func (s *Singleton) lost(log *zap.Logger, term Term, when string) {
	s.mu.Lock()
	s.stats.Lost++
	s.mu.Unlock()
	log.Warn("leader: lost leadership "+when, zap.Int64("token", int64(term.Token())), zap.Error(lossCause(term)))
}

// failStop ends the process: the actor did not return within its stop
// bound after the loss of term, so another replica's actor may start while
// it runs. It writes one log line (to stderr when the logger does not take
// errors) and calls Config.Exit, without waiting for the tree's ordered
// shutdown, which could outlast the takeover.
func (s *Singleton) failStop(log *zap.Logger, term Term) {
	s.mu.Lock()
	s.stats.FailStops++
	s.mu.Unlock()
	msg := "leader: fail-stop: the actor did not return within its stop bound after losing leadership; exiting"
	if ce := log.Check(zap.ErrorLevel, msg); ce != nil {
		ce.Write(zap.Int64("token", int64(term.Token())), zap.Duration("stop_bound", s.cfg.StopBound))
		_ = log.Sync()
	} else {
		fmt.Fprintf(os.Stderr, "%s (election %s, token %d, stop bound %v)\n", msg, s.cfg.Election, term.Token(), s.cfg.StopBound)
	}
	s.cfg.Exit(1)
}
