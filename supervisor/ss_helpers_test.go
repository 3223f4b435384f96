package supervisor_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// ssLog is an ordered, thread-safe record of what test actors did (a
// supervisortest.Log). Entries made with addAt carry the virtual time
// elapsed since the log was made.
type ssLog struct {
	log supervisortest.Log
	t0  time.Time // set once by ssNewLog
}

// ssNewLog returns an empty log whose clock starts now (inside the bubble).
func ssNewLog() *ssLog { return &ssLog{t0: time.Now()} }

func (l *ssLog) add(format string, a ...any) { l.log.Addf(format, a...) }

// addAt adds an entry prefixed with the elapsed virtual time, as "3s start b".
func (l *ssLog) addAt(format string, a ...any) {
	l.add("%v "+format, append([]any{time.Since(l.t0)}, a...)...)
}

func (l *ssLog) get() []string { return l.log.Entries() }

// ssWant fails t unless got equals want exactly.
func ssWant(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// ssRec is an Observer that keeps every event (supervisortest.Recorder,
// with the short names these tests use).
type ssRec struct{ supervisortest.Recorder }

func (r *ssRec) all() []supervisor.Event { return r.Events() }

// kinds returns "kind path" for every event of the given kinds (all kinds
// when none is given).
func (r *ssRec) kinds(kinds ...supervisor.EventKind) []string { return r.Kinds(kinds...) }

func (r *ssRec) count(kind supervisor.EventKind, path string) int { return r.Count(kind, path) }

// ssNew calls supervisor.New and fails t on error.
func ssNew(t *testing.T, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	return supervisortest.New(t, name, opts...)
}

// ssGo runs sup in a goroutine; the channel receives Run's error.
func ssGo(ctx context.Context, sup *supervisor.Supervisor) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- sup.Run(ctx) }()
	return ch
}

// ssDone waits until the bubble is idle and returns Run's error, failing t
// if Run has not returned.
func ssDone(t *testing.T, ch <-chan error) error {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-ch:
		return err
	default:
		t.Fatal("Run has not returned")
		return nil
	}
}

// ssRunning waits until the bubble is idle and fails t if Run returned.
func ssRunning(t *testing.T, ch <-chan error) {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-ch:
		t.Fatalf("Run returned early: %v", err)
	default:
	}
}

// ssBlocker is a worker that logs its start, calls actor.Ready, waits for
// cancellation, logs "cancel NAME CAUSE" and returns nil after stopFor of
// virtual time.
func ssBlocker(name string, log *ssLog, stopFor time.Duration) actor.Func {
	return func(ctx context.Context) error {
		log.add("start %s", name)
		actor.Ready(ctx)
		<-ctx.Done()
		log.add("cancel %s %v", name, context.Cause(ctx))
		if stopFor > 0 {
			time.Sleep(stopFor)
		}
		log.add("return %s", name)
		return nil
	}
}

// ssStuckWorker returns a worker that ignores cancellation until release is
// closed. Its name shows in the stack of a stuck child.
func ssStuckWorker(release <-chan struct{}) actor.Func {
	return func(ctx context.Context) error {
		actor.Ready(ctx)
		<-ctx.Done()
		<-release
		return nil
	}
}

// ssLogger returns a zap logger recording every entry at level or above.
func ssLogger(level zapcore.Level) (*zap.Logger, *observer.ObservedLogs) {
	return supervisortest.ObservedLogger(level)
}

// ssFields returns the context of an entry as a map.
func ssFields(e observer.LoggedEntry) map[string]any { return e.ContextMap() }

// ssNames returns the names in a Children snapshot.
func ssNames(infos []supervisor.ChildInfo) []string { return supervisortest.Names(infos) }

// ssInfo returns the snapshot of the named child, failing t if absent.
func ssInfo(t *testing.T, sup *supervisor.Supervisor, name string) supervisor.ChildInfo {
	t.Helper()
	c, ok := supervisortest.ChildNamed(sup, name)
	if !ok {
		t.Fatalf("no child %q in %v", name, ssNames(sup.Children()))
	}
	return c
}

// ssHasPrefix reports whether any string in list starts with prefix.
func ssHasPrefix(list []string, prefix string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// ssSleep waits d of virtual time and reports true, or false as soon as ctx
// is cancelled.
func ssSleep(ctx context.Context, d time.Duration) bool { return supervisortest.Sleep(ctx, d) }

// ssReadyAfter is a WaitReady worker that logs its start, becomes ready
// after d and then blocks until cancelled.
func ssReadyAfter(name string, log *ssLog, d time.Duration) actor.Func {
	return func(ctx context.Context) error {
		log.addAt("start %s", name)
		time.Sleep(d)
		log.addAt("ready %s", name)
		actor.Ready(ctx)
		<-ctx.Done()
		return nil
	}
}
