//go:build linux

package process_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// panickyHandler is a slog handler whose every method panics.
type panickyHandler struct{}

func (panickyHandler) Enabled(context.Context, slog.Level) bool  { panic("Enabled") }
func (panickyHandler) Handle(context.Context, slog.Record) error { panic("Handle") }
func (h panickyHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h panickyHandler) WithGroup(string) slog.Handler           { return h }

// panickyCore is a zap core whose Enabled and Write panic.
type panickyCore struct{}

func (panickyCore) Enabled(zapcore.Level) bool          { panic("Enabled") }
func (c panickyCore) With([]zapcore.Field) zapcore.Core { return c }
func (c panickyCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(e, c)
}
func (panickyCore) Write(zapcore.Entry, []zapcore.Field) error { panic("Write") }
func (panickyCore) Sync() error                                { return nil }

// A logger is user code: one that panics while a program's output is
// logged loses the entries, never crashes the supervising process (the
// output is read on goroutines of the package's, where nothing would
// recover the panic).
func TestAPanickingLoggerDoesNotCrashTheProcessThatLogsAProgramsOutput(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  supervisor.Option
	}{
		{"slog", supervisor.WithSlog(slog.New(panickyHandler{}))},
		{"zap", supervisor.WithLogger(zap.New(panickyCore{}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exited := make(chan struct{})
			sup := supervisortest.New(t, "root", tc.opt,
				supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
					if e.Kind == supervisor.EventExited {
						close(exited)
					}
				})),
				supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: shell(`echo hello; echo world >&2`), Restart: policy.Transient}),
			)
			stop, _ := runTree(t, sup)
			<-exited
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
