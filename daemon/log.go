package daemon

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

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

// logQueueLen bounds the entries waiting for a slow logger. The daemon
// writes few entries (a handful per run, and one per failed watchdog ping
// at Debug level); past this, entries below Error are dropped and counted.
const logQueueLen = 256

// logEntry is one entry waiting to be written.
type logEntry struct {
	level  zapcore.Level
	msg    string
	fields []zap.Field
}

// asyncLog writes the daemon's entries from a goroutine of its own, in
// order, so that a logger that blocks (a stderr pipe nobody reads, a
// stalled journald, a handler that waits on the network) never delays the
// handling of a signal or of the budget: the loggers are user code, as the
// notifier is (see sender). The fields are encoded on that goroutine too,
// so an error's Error method never runs on Run's loop.
//
// A rejected design: writing on Run's goroutine, which a blocked logger
// made deaf to SIGTERM, to the second signal and to the budget.
type asyncLog struct {
	out   logger
	wake  chan struct{} // buffered 1: something was queued, or closing was set
	ended chan struct{} // closed when the goroutine ends

	mu        sync.Mutex
	queue     []logEntry // guarded by mu: oldest first
	dropped   int        // guarded by mu: entries dropped since the last report, the queue being full
	closing   bool       // guarded by mu: Run is returning; end once the queue is empty
	abandoned bool       // guarded by mu: Run returned before the queue was written; write nothing more
}

// newAsyncLog starts the goroutine that writes to out.
func newAsyncLog(out logger) *asyncLog {
	l := &asyncLog{out: out, wake: make(chan struct{}, 1), ended: make(chan struct{})}
	go l.loop()
	return l
}

func (l *asyncLog) Debug(msg string, fields ...zap.Field) { l.put(zapcore.DebugLevel, msg, fields) }
func (l *asyncLog) Info(msg string, fields ...zap.Field)  { l.put(zapcore.InfoLevel, msg, fields) }
func (l *asyncLog) Warn(msg string, fields ...zap.Field)  { l.put(zapcore.WarnLevel, msg, fields) }
func (l *asyncLog) Error(msg string, fields ...zap.Field) { l.put(zapcore.ErrorLevel, msg, fields) }

// put queues an entry. Past logQueueLen, an entry below Error is dropped
// and counted; an Error entry (the final error, a second signal) always
// gets in.
func (l *asyncLog) put(level zapcore.Level, msg string, fields []zap.Field) {
	l.mu.Lock()
	if len(l.queue) >= logQueueLen && level < zapcore.ErrorLevel {
		l.dropped++
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, logEntry{level, msg, fields})
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// loop writes the queue in order until it is closed and empty, or
// abandoned.
func (l *asyncLog) loop() {
	defer close(l.ended) // even if a logger calls runtime.Goexit
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closing {
			l.mu.Unlock()
			<-l.wake
			l.mu.Lock()
		}
		if len(l.queue) == 0 || l.abandoned {
			l.mu.Unlock()
			return
		}
		e := l.queue[0]
		l.queue[0] = logEntry{}
		l.queue = l.queue[1:]
		dropped := l.dropped
		l.dropped = 0
		l.mu.Unlock()

		if dropped > 0 {
			l.write(zapcore.WarnLevel, "daemon log entries dropped: the logger is too slow", []zap.Field{zap.Int("dropped", dropped)})
		}
		l.write(e.level, e.msg, e.fields)
	}
}

// write writes one entry, recovering a panic of the logger: the entry is
// lost, the daemon goes on.
func (l *asyncLog) write(level zapcore.Level, msg string, fields []zap.Field) {
	defer func() { _ = recover() }() // nowhere left to report a logger's own panic
	l.out.log(level, msg, fields)
}

// close waits until deadline for the queued entries to be written, then
// abandons the goroutine (a logger that blocks: nothing is left to report
// it to). It reports whether every entry was written.
func (l *asyncLog) close(deadline time.Time) bool {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	if wait := time.Until(deadline); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-l.ended:
			return true
		case <-t.C:
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.abandoned = true
	select {
	case <-l.ended:
		return true
	default:
		return false
	}
}
