package actor

import "context"

type beatKey struct{}

// Beat tells whoever watches ctx that the calling actor is alive: it is a
// heartbeat. A supervisor that was given a liveness deadline for a child
// takes a child that goes longer than that without a beat for hung, and
// restarts it (see the supervisor package's Liveness).
//
// Beat is meant to be called from inside Run (or a goroutine Run joins)
// with Run's context, or a context derived from it, as often as the actor
// likes: from the loop that does its work, so that a beat proves the work
// goes on. It is cheap enough for a hot loop: it allocates nothing and
// takes no lock (a supervisor stores the time of the beat in a word of the
// incarnation's own). It is a no-op when nobody watches, so an actor can
// beat unconditionally.
func Beat(ctx context.Context) {
	if ctx == nil {
		return
	}
	if f, ok := ctx.Value(beatKey{}).(func()); ok && f != nil {
		f()
	}
}

// Watched reports whether Beat(ctx) would reach someone: whether a beat
// function was set with WithBeat on ctx or a context it derives from (and
// not hidden by a nil one). It calls nothing.
func Watched(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	f, ok := ctx.Value(beatKey{}).(func()) // a type assertion to a func type: nothing to call
	return ok && f != nil
}

// WithBeat returns a copy of parent on which Beat calls beat. It is how a
// supervisor watches a child's heartbeat: it runs the child's incarnation
// with the returned context. beat runs synchronously in the caller's
// goroutine, possibly very often and from several goroutines at once: it
// must be safe for concurrent use, must not block, and should be as cheap
// as an atomic store.
//
// A context derived from the returned one reaches beat too. WithBeat with a
// nil beat hides any beat of parent, so that Beat becomes a no-op.
func WithBeat(parent context.Context, beat func()) context.Context {
	return context.WithValue(parent, beatKey{}, beat)
}
