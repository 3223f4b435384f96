// Package leadertest is an election in memory for tests and examples of
// programs that use package leader: candidates in one process, a holder at
// a time, and controls for what a real backend does to a leader (revoke
// its lease, cut it off so that it stops renewing).
//
// Its timing is real: with testing/synctest the TTL and the renew deadline
// pass in the bubble's time.
package leadertest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/arbor-go/arbor/leader"
)

// Errors a term's Err returns.
var (
	ErrRevoked   = errors.New("leadertest: lease revoked")
	ErrNoRenewal = errors.New("leadertest: no renewal within the renew deadline")
	ErrResigned  = errors.New("leadertest: resigned")
)

// Election is one election in memory. Candidates win in the order they
// began to campaign, as in etcd. Its methods are safe for concurrent use.
type Election struct {
	timing leader.Timing

	mu      sync.Mutex
	holder  *term           // guarded by mu: the current term; nil when free
	token   leader.Token    // guarded by mu: the last token given
	changed chan struct{}   // guarded by mu: closed (and replaced) when the holder goes
	cut     map[string]bool // guarded by mu: candidates cut off by CutOff
	line    []*string       // guarded by mu: the campaigns waiting, in the order they began
}

// NewElection returns a free election with the given timing.
func NewElection(timing leader.Timing) *Election {
	return &Election{timing: timing, changed: make(chan struct{})}
}

// Candidate returns an Elector for the candidate named name.
func (e *Election) Candidate(name string) leader.Elector { return &candidate{e: e, name: name} }

// Holder returns the name of the candidate that holds the election and
// its token; ok is false when it is free.
func (e *Election) Holder() (name string, token leader.Token, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.holder == nil {
		return "", 0, false
	}
	return e.holder.name, e.holder.token, true
}

// Revoke ends the current term at once, as a revoked lease does: the
// holder learns it (its term's Lost closes) when the election becomes free
// for the others. It reports whether there was a holder.
func (e *Election) Revoke() bool {
	e.mu.Lock()
	t := e.holder
	if t != nil {
		e.freeLocked()
	}
	e.mu.Unlock()
	if t != nil {
		t.Lose(ErrRevoked)
	}
	return t != nil
}

// CutOff cuts the holder off from the election, as a network partition
// does: it stops renewing, so it treats the term as lost after the renew
// deadline, and the election becomes free for the others after the TTL;
// it can neither resign nor win again. It reports whether there was a
// holder.
func (e *Election) CutOff() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.holder
	if t == nil {
		return false
	}
	t.cut = true
	if e.cut == nil {
		e.cut = map[string]bool{}
	}
	e.cut[t.name] = true
	time.AfterFunc(e.timing.RenewDeadline, func() { t.Lose(ErrNoRenewal) })
	time.AfterFunc(e.timing.TTL, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.holder == t {
			e.freeLocked()
		}
	})
	return true
}

// freeLocked frees the election. Called with e.mu held.
func (e *Election) freeLocked() {
	e.holder = nil
	e.broadcastLocked()
}

// broadcastLocked wakes the campaigns. Called with e.mu held.
func (e *Election) broadcastLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

type candidate struct {
	e    *Election
	name string
}

func (c *candidate) Timing() leader.Timing { return c.e.timing }

// Campaign waits in line: as in etcd, where each campaign's key waits for
// the keys created before it, candidates win in the order they began to
// campaign (a candidate cut off is skipped).
func (c *candidate) Campaign(ctx context.Context) (leader.Term, error) {
	e := c.e
	me := &c.name // a ticket: its address is its identity in the line
	e.mu.Lock()
	e.line = append(e.line, me)
	e.mu.Unlock()
	for {
		e.mu.Lock()
		if e.holder == nil && e.nextLocked() == me {
			e.leaveLocked(me)
			e.token++
			t := &term{e: e, name: c.name, token: e.token}
			e.holder = t
			e.mu.Unlock()
			return t, nil
		}
		wait := e.changed
		e.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			e.mu.Lock()
			e.leaveLocked(me)
			e.broadcastLocked() // the next in line may win now
			e.mu.Unlock()
			return nil, ctx.Err()
		}
	}
}

// nextLocked returns the first ticket in line whose candidate is not cut
// off, or nil. Called with e.mu held.
func (e *Election) nextLocked() *string {
	for _, tk := range e.line {
		if !e.cut[*tk] {
			return tk
		}
	}
	return nil
}

// leaveLocked removes tk from the line. Called with e.mu held.
func (e *Election) leaveLocked(tk *string) {
	for i, x := range e.line {
		if x == tk {
			e.line = append(e.line[:i], e.line[i+1:]...)
			return
		}
	}
}

type term struct {
	e     *Election
	name  string
	token leader.Token

	cut bool // guarded by e.mu: cut off, it can no longer resign

	leader.Loss // Lost, Err, and Lose
}

func (t *term) Token() leader.Token { return t.token }

// ErrCutOff is returned by the Resign of a term cut off by CutOff.
var ErrCutOff = errors.New("leadertest: cut off from the election")

// Resign frees the election if t still holds it and is not cut off.
func (t *term) Resign(context.Context) error {
	e := t.e
	e.mu.Lock()
	if t.cut {
		e.mu.Unlock()
		return ErrCutOff
	}
	if e.holder == t {
		e.freeLocked()
	}
	e.mu.Unlock()
	t.Lose(ErrResigned)
	return nil
}
