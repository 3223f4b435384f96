package supervisor_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// countedErr counts the calls of its Error method.
type countedErr struct {
	text  string
	calls atomic.Int32
}

func (e *countedErr) Error() string { e.calls.Add(1); return e.text }

// ucSinks returns the options of a tree that logs everything to zap and
// slog and has an observer, and the zap entries' record.
func ucSinks(rec *ssRec) ([]supervisor.Option, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return []supervisor.Option{
		supervisor.WithLogger(zap.New(core)),
		supervisor.WithSlog(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		supervisor.WithObserver(rec),
	}, logs
}

// ucLogged reports whether an entry of logs has the field error=text.
func ucLogged(logs *observer.ObservedLogs, text string) bool {
	for _, e := range logs.All() {
		if e.ContextMap()["error"] == text {
			return true
		}
	}
	return false
}

// ucCheckErrText fails t unless every event rec holds that has an error
// carries its text, as taken when the error was received.
func ucCheckErrText(t *testing.T, rec *ssRec, texts map[error]string) {
	t.Helper()
	n := 0
	for _, e := range rec.all() {
		switch want, ok := texts[e.Err]; {
		case e.Err == nil:
			if e.ErrText != "" {
				t.Errorf("%v %s: ErrText %q without an error", e.Kind, e.Path, e.ErrText)
			}
		case ok:
			n++
			if e.ErrText != want {
				t.Errorf("%v %s: ErrText %q, want %q", e.Kind, e.Path, e.ErrText, want)
			}
		case e.ErrText == "" || strings.HasPrefix(e.ErrText, "("):
			t.Errorf("%v %s: ErrText %q for an error of type %T", e.Kind, e.Path, e.ErrText, e.Err)
		}
	}
	if n == 0 {
		t.Errorf("no event carries the child's error")
	}
}

// TestErrorTextTakenOnceForEveryConsumer makes children fail to start,
// fail and restart, and stop with an error, and an init hook fail, under a
// zap logger, a slog logger and an observer: each error's Error is called
// once, when it is taken by the goroutine that received it, and every
// consumer (the logs, the event's text, Run's error) uses that text.
func TestErrorTextTakenOnceForEveryConsumer(t *testing.T) {
	t.Run("StartFailure", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			bad := &countedErr{text: "db: no route"}
			rec := &ssRec{}
			opts, logs := ucSinks(rec)
			sup := ssNew(t, "root", append(opts, supervisor.WithChildren(supervisor.Child{Name: "db", WaitReady: true,
				Actor: actor.Func(func(context.Context) error { return bad })}))...)
			err := sup.Run(t.Context())
			if n := bad.calls.Load(); n != 1 {
				t.Errorf("Error called %d times, want once", n)
			}
			ucCheckErrText(t, rec, map[error]string{bad: bad.text})
			if !ucLogged(logs, "db: no route") {
				t.Errorf("no log entry carries the error's text")
			}
			if want := "root: start of root/db failed: db: no route"; err == nil || err.Error() != want {
				t.Errorf("Run = %v, want %q", err, want)
			}
			if n := bad.calls.Load(); n != 1 {
				t.Errorf("Error called %d times once Run's error was read, want once", n)
			}
		})
	})
	t.Run("FailAndStop", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			first := &countedErr{text: "worker: first failure"}
			last := &countedErr{text: "worker: stopped badly"}
			var runs atomic.Int32
			w := actor.Func(func(ctx context.Context) error {
				if runs.Add(1) == 1 {
					return first
				}
				<-ctx.Done()
				return last
			})
			rec := &ssRec{}
			opts, logs := ucSinks(rec)
			sup := ssNew(t, "root", append(opts, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w}))...)
			ctx, cancel := context.WithCancel(t.Context())
			ch := ssGo(ctx, sup)
			time.Sleep(time.Second)
			cancel()
			if err := ssDone(t, ch); err != nil {
				t.Fatalf("Run = %v", err)
			}
			ucCheckErrText(t, rec, map[error]string{first: first.text, last: last.text})
			for _, e := range []*countedErr{first, last} {
				if n := e.calls.Load(); n != 1 {
					t.Errorf("%q: Error called %d times, want once", e.text, n)
				}
				if !ucLogged(logs, e.text) {
					t.Errorf("%q: no log entry carries it", e.text)
				}
			}
		})
	})
	t.Run("InitHook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			bad := &countedErr{text: "init: no config"}
			rec := &ssRec{}
			opts, logs := ucSinks(rec)
			sup := ssNew(t, "root", append(opts, supervisor.WithInit(func(context.Context, *supervisor.Supervisor) error { return bad }))...)
			err := sup.Run(t.Context())
			var se *supervisor.StartError
			if !errors.As(err, &se) || se.Err != error(bad) {
				t.Fatalf("Run = %v, want a *StartError with the hook's error", err)
			}
			if want := "root: start of root/init failed: init: no config"; err.Error() != want {
				t.Errorf("Run's error reads %q, want %q", err.Error(), want)
			}
			if n := bad.calls.Load(); n != 1 {
				t.Errorf("Error called %d times, want once", n)
			}
			ucCheckErrText(t, rec, map[error]string{err: "root: start of root/init failed: init: no config"})
			if !ucLogged(logs, "root: start of root/init failed: init: no config") {
				t.Errorf("no log entry carries Run's error")
			}
		})
	})
}

// goroutineErr is an error whose methods record calls made from any
// goroutine other than owner's.
type goroutineErr struct {
	owner  atomic.Int64
	others atomic.Int64
	wraps  error
}

func (e *goroutineErr) note() {
	if goid() != e.owner.Load() {
		e.others.Add(1)
	}
}
func (e *goroutineErr) Error() string        { e.note(); return "closing: " + e.wraps.Error() }
func (e *goroutineErr) Unwrap() error        { e.note(); return e.wraps }
func (e *goroutineErr) Is(target error) bool { e.note(); return false }

// TestOnlyTheChildsGoroutineCallsItsErrorsMethods stops children that
// return errors, one wrapping context.Canceled and one not, under a zap
// logger, a slog logger and an observer: only the child's own goroutine
// calls the methods of its error (Error, Unwrap, Is); the logs still tell a
// stop with context.Canceled (debug) from one with another error (warn).
func TestOnlyTheChildsGoroutineCallsItsErrorsMethods(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		canceled := &goroutineErr{wraps: context.Canceled}
		other := &goroutineErr{wraps: errors.New("flush failed")}
		stopWith := func(e *goroutineErr) actor.Func {
			return func(ctx context.Context) error {
				e.owner.Store(goid())
				<-ctx.Done()
				return e
			}
		}
		rec := &ssRec{}
		opts, logs := ucSinks(rec)
		sup := ssNew(t, "root", append(opts, supervisor.WithChildren(
			supervisor.Child{Name: "c", Actor: stopWith(canceled)},
			supervisor.Child{Name: "o", Actor: stopWith(other)}))...)
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		synctest.Wait()
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Fatalf("Run = %v", err)
		}
		for _, e := range []*goroutineErr{canceled, other} {
			if n := e.others.Load(); n > 0 {
				t.Errorf("%q: its methods were called %d times by goroutines other than the child's", e.wraps, n)
			}
		}
		levels := map[string]zapcore.Level{}
		for _, entry := range logs.All() {
			if entry.Message == "stopped" || entry.Message == "stopped with an error" {
				levels[entry.ContextMap()["path"].(string)] = entry.Level
			}
		}
		if levels["root/c"] != zapcore.DebugLevel || levels["root/o"] != zapcore.WarnLevel {
			t.Errorf("stop entries' levels %v, want root/c debug (context.Canceled) and root/o warn", levels)
		}
	})
}
