package supervisor

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/zap/zapcore"
)

// slogLogger is slog.Logger, under a name that keeps the child record's
// declaration short.
type slogLogger = slog.Logger

// discardSlog is what SlogLogger returns when there is no slog logger.
var discardSlog = slog.New(slog.DiscardHandler)

// SlogLogger returns a log/slog logger scoped to the child whose
// incarnation ctx belongs to: its supervisor's slog logger (WithSlog, set
// on it or inherited) with a "path" attribute, as Logger does for zap. It
// returns a logger that discards everything outside a supervisor, for a
// nil ctx, and when the supervisor has no slog logger. The logger is made
// on first use, without holding any lock of the supervisor.
func SlogLogger(ctx context.Context) *slog.Logger {
	c := childOf(ctx)
	if c == nil || c.r.slog == nil {
		return discardSlog
	}
	return scopedLogger(c, func(x *childExtra) **slog.Logger { return &x.slogger },
		func() *slog.Logger { return c.r.slog.With(slog.String("path", c.path)) })
}

// addSlog gives r the slog sink of its own supervisor's WithSlog or, for a
// supervisor without one run below another, its parent's, as newRun does
// for WithLogger. Called by newRun before the observers' sinks are made,
// so that those report their panics to it too.
func (r *run) addSlog(parent *run) {
	switch {
	case r.s.cfg.slogger != nil:
		r.slog = r.s.cfg.slogger
		k := newSlogSink(r.path, r.slog, r.s.cfg.observerBuffer)
		r.own = append(r.own, k)
		r.sinks = append(r.sinks, k)
	case parent != nil:
		r.slog = parent.slog
		r.sinks = append(r.sinks, parent.sinksOf(sinkSlog)...)
	}
}

// newSlogSink makes the sink that logs the events of the supervisor at
// path (and of those below it that inherit it) to l's handler.
func newSlogSink(path string, l *slog.Logger, buffer int) *sink {
	w := &logWriter{out: &slogBackend{h: l.Handler()}, limits: make(map[string]*limiter)}
	k := newSink(sinkSlog, path+PathSeparator+"(slog)", buffer, w.write)
	k.sup = path
	k.flush = w.flush
	return k
}

// slogBackend writes entries to a slog.Handler. The handler is user code:
// its Enabled and Handle run only in the sink's goroutine.
type slogBackend struct {
	h     slog.Handler
	attrs []slog.Attr // the record's attributes, reused: AddAttrs copies them
}

// slogLevel maps the levels of entries to slog's.
func slogLevel(lvl zapcore.Level) slog.Level {
	switch lvl {
	case zapcore.DebugLevel:
		return slog.LevelDebug
	case zapcore.InfoLevel:
		return slog.LevelInfo
	case zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (b *slogBackend) enabled(lvl zapcore.Level) bool {
	return b.h.Enabled(context.Background(), slogLevel(lvl))
}

func (b *slogBackend) write(at time.Time, lvl zapcore.Level, msg string, fields []logField, stack []byte) {
	attrs := b.attrs[:0]
	for i := range fields {
		f := &fields[i]
		switch f.kind {
		case fieldString:
			attrs = append(attrs, slog.String(f.key, f.str))
		case fieldInt:
			attrs = append(attrs, slog.Int64(f.key, int64(f.num)))
		case fieldUint:
			attrs = append(attrs, slog.Uint64(f.key, f.num))
		case fieldDuration:
			attrs = append(attrs, slog.Duration(f.key, time.Duration(f.num)))
		}
	}
	if len(stack) > 0 {
		attrs = append(attrs, slog.String("stack", string(trimNewline(stack))))
	}
	// No program counter: the record's source would be this goroutine's,
	// the library's internals, not a place that says anything to the
	// reader (a panic's stack is the "stack" attribute).
	r := slog.NewRecord(at, slogLevel(lvl), msg, 0)
	r.AddAttrs(attrs...)
	clear(attrs) // keep no strings of the event alive
	b.attrs = attrs[:0]
	_ = b.h.Handle(context.Background(), r)
}
