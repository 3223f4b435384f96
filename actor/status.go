package actor

import "context"

type statusKey struct{}

// SetStatus publishes text as the calling actor's status: a short line that
// says what it is doing when its state alone does not, such as "waiting for
// leadership" or "draining 3 connections". It is meant to be called from
// inside Run (or a goroutine Run joins) with Run's context, and may be
// called any number of times; the latest text wins, and an empty text
// clears it.
//
// SetStatus is a no-op when nobody listens, so an actor can call it
// unconditionally. A supervisor listens for its children: it shows the text
// of a child's current incarnation in its snapshots and on its health page,
// and forgets it when the incarnation ends. A status set with a context that
// is already done changes nothing there.
//
// The text is for people: it is shown as given, so keep it short, and keep
// secrets out of it (snapshots may be served over HTTP).
func SetStatus(ctx context.Context, text string) {
	if ctx == nil {
		return
	}
	if f, ok := ctx.Value(statusKey{}).(func(context.Context, string)); ok && f != nil {
		f(ctx, text)
	}
}

// WithStatus returns a copy of parent on which SetStatus calls report. It
// is how a supervisor listens to its children's status: one report
// function serves every actor run with a context derived from the returned
// one, and it receives the context SetStatus was called with, so that it
// can tell which actor spoke (a supervisor finds the child's record in it).
// report runs synchronously in the caller's goroutine: it must be safe to
// call from any goroutine and must not block.
//
// WithStatus with a nil report hides any report of parent, so that
// SetStatus becomes a no-op.
func WithStatus(parent context.Context, report func(ctx context.Context, text string)) context.Context {
	return context.WithValue(parent, statusKey{}, report)
}
