package testutil

import (
	"context"
	"flag"
	"testing"
	"time"
)

// The waits of tests that run in real time (real sockets, real programs,
// a real browser) have no bound of their own: a guess such as "ten
// seconds" fails a correct test on a machine busy enough, and a test must
// hold on any machine. What bounds them is the test binary's own deadline
// (go test -timeout, 10 minutes by default): shortly before it, the wait
// fails its test with a message saying what never came, instead of the
// binary's panic. Inside a synctest bubble, wait with synctest.Wait and
// let virtual time pass instead.

// deadliner is what *testing.T offers to know the binary's deadline.
type deadliner interface{ Deadline() (time.Time, bool) }

// grace is how long before the binary's deadline a wait gives up: a tenth
// of the time left when the wait begins, at most 30 seconds, so that the
// failure is reported before the binary's panic.
func grace(left time.Duration) time.Duration { return min(left/10, 30*time.Second) }

// Expiry returns a channel that receives shortly before the test binary's
// deadline, or never when it has none (go test -timeout 0) or t cannot
// tell (a *testing.B). The timer is stopped when t ends.
func Expiry(t testing.TB) <-chan time.Time {
	d, ok := t.(deadliner)
	if !ok {
		return nil
	}
	at, ok := d.Deadline()
	if !ok {
		return nil
	}
	left := time.Until(at)
	timer := time.NewTimer(left - grace(left))
	t.Cleanup(func() { timer.Stop() })
	return timer.C
}

// Context returns a context that ends when t ends or shortly before the
// test binary's deadline, whichever comes first, with its cancel function.
func Context(t testing.TB) (context.Context, context.CancelFunc) {
	ctx := t.Context()
	d, ok := t.(deadliner)
	if !ok {
		return context.WithCancel(ctx)
	}
	at, ok := d.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, at.Add(-grace(time.Until(at))))
}

// Receive returns the next value from ch, failing t (with what, the thing
// awaited) if none comes before Expiry.
func Receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-Expiry(t):
		t.Fatalf("%s: not by the test binary's deadline", what)
		var zero T
		return zero
	}
}

// Patience returns the longest a real-time wait may last: the test
// binary's -timeout less the grace, or about 290 years when there is none.
// It is for packages whose waits take a duration (time.After, an HTTP
// client's Timeout, a polling timeout): set a package variable from it in
// TestMain, after flag.Parse. Like Expiry, it is not a guess at how long
// the work takes, only the binary's own limit, reported as a failure.
func Patience() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 1<<63 - 1
	}
	d, ok := f.Value.(flag.Getter).Get().(time.Duration)
	if !ok || d <= 0 {
		return 1<<63 - 1
	}
	return d - grace(d)
}

// Deadline returns the instant Expiry fires at, for calls that take one
// (a socket's SetReadDeadline), or the zero time, which sets no deadline,
// when the binary has none.
func Deadline(t testing.TB) time.Time {
	d, ok := t.(deadliner)
	if !ok {
		return time.Time{}
	}
	at, ok := d.Deadline()
	if !ok {
		return time.Time{}
	}
	return at.Add(-grace(time.Until(at)))
}
