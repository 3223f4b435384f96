package daemon

import (
	"context"
	"log/slog"
	"sort"

	"github.com/arbor-go/arbor/internal/liblog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logger writes the daemon's own entries to a zap logger, a slog logger,
// or both: each entry goes to every logger given. The entries are written
// with zap fields; for slog each field becomes an attribute of the same
// key and value (an error its text, the stuck report a list of objects).
// Safe for concurrent use (Run's goroutine and the notifications' sender
// both log).
type logger struct {
	zap  *zap.Logger  // nil: no zap logger
	slog *slog.Logger // nil: no slog logger
}

func (l logger) Debug(msg string, fields ...zap.Field) { l.log(zapcore.DebugLevel, msg, fields) }
func (l logger) Info(msg string, fields ...zap.Field)  { l.log(zapcore.InfoLevel, msg, fields) }
func (l logger) Warn(msg string, fields ...zap.Field)  { l.log(zapcore.WarnLevel, msg, fields) }
func (l logger) Error(msg string, fields ...zap.Field) { l.log(zapcore.ErrorLevel, msg, fields) }

// log writes one entry at level to each logger.
func (l logger) log(level zapcore.Level, msg string, fields []zap.Field) {
	if l.zap != nil {
		if ce := l.zap.Check(level, msg); ce != nil {
			ce.Write(fields...)
		}
	}
	if l.slog != nil {
		lvl := slogLevel(level)
		if !l.slog.Enabled(context.Background(), lvl) {
			return
		}
		liblog.Slog(context.Background(), l.slog, lvl, msg, slogAttrs(fields)...)
	}
}

// sync flushes the zap logger, if any.
func (l logger) sync() {
	if l.zap != nil {
		_ = l.zap.Sync() // stderr cannot always be synced; nothing to do about it
	}
}

// slogLevel is zap's level in slog's terms.
func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

// slogAttrs turns zap fields into slog attributes, in order: each field
// is encoded as zap would encode it into a map (an error gives its text,
// guarded against a panicking Error method; an object or array gives maps
// and slices), and each key it writes becomes an attribute.
func slogAttrs(fields []zap.Field) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(fields))
	for _, f := range fields {
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		keys := make([]string, 0, len(enc.Fields))
		for k := range enc.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys) // "error" before "errorVerbose"
		for _, k := range keys {
			attrs = append(attrs, slog.Any(k, enc.Fields[k]))
		}
	}
	return attrs
}
