// Package liblog writes the log entries the library makes itself (a
// supervisor's lifecycle entries, the daemon's messages, a program's output
// lines, the leader package's messages) without the caller, stack trace or
// source position of the library's code: those would name the library's
// internals, the same in every entry, and tell the reader nothing. The
// entry's fields say which child or supervisor it is about; a panic's own
// stack, where an entry reports one, is given explicitly.
package liblog

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// noLevel enables no level: with it, zap adds no stack trace to any entry.
var noLevel = zap.LevelEnablerFunc(func(zapcore.Level) bool { return false })

// Zap returns l without caller annotation and without automatic stack
// traces (zap.NewProduction adds the caller to every entry and a stack to
// those at Error and above). It keeps l's core, name and fields. It costs
// one clone of the logger: call it once per logger, not per entry.
func Zap(l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WithCaller(false), zap.AddStacktrace(noLevel))
}

// Slog writes one record at lvl through l's handler, if the handler is
// enabled for lvl, with no source position: its PC is 0, so a handler
// with AddSource names no file of the library. (slog.Logger's own methods
// record their caller's PC, which would be the library's.)
func Slog(ctx context.Context, l *slog.Logger, lvl slog.Level, msg string, attrs ...slog.Attr) {
	h := l.Handler()
	if !h.Enabled(ctx, lvl) {
		return
	}
	r := slog.NewRecord(time.Now(), lvl, msg, 0)
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}
