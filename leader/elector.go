package leader

import (
	"context"
	"errors"
	"time"
)

// Token is a fencing token: a number that identifies a term of leadership
// and grows with every new term of the same election (not necessarily by
// one). A store that remembers the highest token it has seen can refuse
// the writes of a former leader; a backend may also check it itself (see
// the etcd backend's fencing helper).
type Token int64

// Timing is a backend's timing, which New checks a Config's bounds
// against.
type Timing struct {
	// TTL is how long the backend keeps a silent leader's leadership: the
	// etcd lease's TTL, the Kubernetes Lease's duration. Once it has passed
	// after the leader's last renewal, another candidate can win.
	TTL time.Duration
	// RenewDeadline is how long a leader goes on without a successful
	// renewal before it treats its leadership as lost. It must be shorter
	// than TTL: the leader must know it lost before anyone else can win.
	RenewDeadline time.Duration
}

// An Elector is one candidate's handle on one named election in a backend
// (etcd, the Kubernetes API, or a fake in tests). A Singleton calls its
// methods from one goroutine at a time.
type Elector interface {
	// Campaign blocks until the candidate holds leadership and returns
	// the term, or until ctx is done (then it returns ctx's error, and no
	// term). A backend retries what it can retry itself (a dropped
	// connection); an error it returns is a failure of the child that runs
	// the Singleton.
	Campaign(ctx context.Context) (Term, error)
	// Timing returns the backend's TTL and renew deadline.
	Timing() Timing
}

// A Term is one stint of leadership won by Campaign. Its methods are safe
// for concurrent use. Its type need not be comparable: a Singleton never
// compares two terms (a struct value holding a slice is a valid Term).
// A backend's term can embed a [Loss] for its Lost and Err methods.
type Term interface {
	// Token returns the term's fencing token.
	Token() Token
	// Lost returns a channel that is closed once the backend knows that
	// the term is over, or may be: no successful renewal within the renew
	// deadline, its key deleted, its lease revoked. It is closed at the
	// latest by Resign.
	Lost() <-chan struct{}
	// Err says why the term was lost; nil while Lost is open.
	Err() error
	// Resign gives the leadership up (deletes the key, revokes the lease,
	// clears the Lease's holder), so that another candidate can win at
	// once. A Singleton calls it once per term, only after its actor
	// returned. A term already lost resigns what is left of it, if
	// anything; a backend that cannot reach its store returns an error,
	// and the leadership then ends with its TTL.
	Resign(ctx context.Context) error
}

// ErrLeadershipLost is the cause with which a Singleton cancels its
// actor's context when the term is lost (context.Cause matches it with
// errors.Is; the term's Err is wrapped too).
var ErrLeadershipLost = errors.New("leader: leadership lost")

type termKey struct{}

// TermFrom returns the term under which the actor whose context ctx is (or
// derives from) runs, for a backend's helpers; ok is false outside a
// Singleton's actor.
func TermFrom(ctx context.Context) (term Term, ok bool) {
	if ctx == nil {
		return nil, false
	}
	term, ok = ctx.Value(termKey{}).(Term)
	return term, ok
}

// TokenFrom returns the fencing token of the term under which the actor
// whose context ctx is runs; ok is false outside a Singleton's actor.
func TokenFrom(ctx context.Context) (Token, bool) {
	if t, ok := TermFrom(ctx); ok {
		return t.Token(), true
	}
	return 0, false
}

// WithTerm returns a copy of parent that carries term, as a Singleton
// gives it to its actor. It is meant for tests of code that reads
// TermFrom or TokenFrom.
func WithTerm(parent context.Context, term Term) context.Context {
	return context.WithValue(parent, termKey{}, term)
}
