package process

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/arbor-go/arbor/internal/liblog"
	"github.com/arbor-go/arbor/internal/oneline"
	"go.uber.org/zap"
)

// output logs the lines of one incarnation's stdout and stderr to the
// child's loggers (supervisor.Logger and supervisor.SlogLogger of its
// context), under a rate limit the two streams share.
type output struct {
	ctx     context.Context
	zl      *zap.Logger  // the child's zap logger (a no-op one if none), without caller or stack (liblog.Zap)
	sl      *slog.Logger // the child's slog logger (a discarding one if none), written to with liblog.Slog
	pid     int          // set before started is closed; read only after
	started chan struct{}
	lineMax int

	mu  sync.Mutex // guards lim
	lim limiter
}

// limiter is a fixed-window rate limit: at most lines entries in each
// window of length per. It takes the time as an argument (a table test
// drives it). Not safe for concurrent use: output holds its lock.
type limiter struct {
	lines   int           // per window; < 0: no limit
	per     time.Duration // the window's length
	start   time.Time     // the current window's start
	n       int           // entries taken in the current window
	dropped int           // lines dropped since the last report
}

// take reports whether one more line may be logged at now, and how many
// lines were dropped before it that have not been reported yet (report
// them first).
func (l *limiter) take(now time.Time) (ok bool, dropped int) {
	if l.lines < 0 {
		return true, 0
	}
	if l.start.IsZero() || now.Sub(l.start) >= l.per {
		l.start, l.n = now, 0
	}
	if l.n >= l.lines {
		l.dropped++
		return false, 0
	}
	l.n++
	dropped, l.dropped = l.dropped, 0
	return true, dropped
}

// streamWriter is the io.Writer given to exec.Cmd for one stream: it cuts
// what the program writes into lines. os/exec calls Write from one
// goroutine per stream; nothing else touches buf until Wait has returned.
type streamWriter struct {
	o      *output
	stream string // "stdout" or "stderr"
	buf    []byte // the start of a line not yet ended
}

// Write logs every complete line in b and keeps the rest for later; a
// line longer than the cap is logged in pieces. It never fails: output
// that cannot be logged is dropped, never pushed back on the program.
func (w *streamWriter) Write(b []byte) (int, error) {
	<-w.o.started // the pid is known
	n := len(b)
	max := w.o.lineMax
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.buf = append(w.buf, b...)
			b = nil
		} else {
			line := b[:i]
			b = b[i+1:]
			if len(w.buf) > 0 {
				line = append(w.buf, line...)
				w.buf = w.buf[:0]
			}
			line = bytes.TrimSuffix(line, []byte{'\r'}) // a "\r\n" ending
			for len(line) > max {
				w.o.log(w.stream, line[:max])
				line = line[max:]
			}
			w.o.log(w.stream, line)
		}
		for len(w.buf) >= max {
			w.o.log(w.stream, w.buf[:max])
			w.buf = append(w.buf[:0], w.buf[max:]...)
		}
	}
	return n, nil
}

// flush logs the last line if the program did not end it. Called once the
// stream's copying goroutine is gone (after exec.Cmd.Wait).
func (w *streamWriter) flush() {
	if len(w.buf) > 0 {
		w.o.log(w.stream, w.buf)
		w.buf = nil
	}
}

// log writes one line as an entry of the child, at Info, with the stream
// and the pid, if the rate limit lets it through.
func (o *output) log(stream string, line []byte) {
	zok := o.zl.Core().Enabled(zap.InfoLevel)
	sok := o.sl.Enabled(o.ctx, slog.LevelInfo)
	if !zok && !sok {
		return
	}
	o.mu.Lock()
	ok, dropped := o.lim.take(time.Now())
	o.mu.Unlock()
	if dropped > 0 {
		o.reportDropped(dropped)
	}
	if !ok {
		return
	}
	defer o.guard()
	// The message is one line, whatever the program wrote: its control
	// characters are escaped (a carriage return would overwrite the entry
	// on a terminal). A plain line costs a scan.
	msg := oneline.Escape(string(line))
	if zok {
		o.zl.Info(msg, zap.String("stream", stream), zap.Int("pid", o.pid))
	}
	if sok {
		liblog.Slog(o.ctx, o.sl, slog.LevelInfo, msg, slog.String("stream", stream), slog.Int("pid", o.pid))
	}
}

// reportDropped logs, at Warn, that n lines were dropped by the rate
// limit.
func (o *output) reportDropped(n int) {
	defer o.guard()
	const msg = "output lines dropped by the rate limit"
	o.zl.Warn(msg, zap.Int("dropped", n), zap.Int("pid", o.pid))
	liblog.Slog(o.ctx, o.sl, slog.LevelWarn, msg, slog.Int("dropped", n), slog.Int("pid", o.pid))
}

// warnKill logs, at Warn, that the package sent SIGKILL to the program's
// group (or what was left of it) after its stop timeout.
func (o *output) warnKill(msg string, timeout time.Duration) {
	defer o.guard()
	o.zl.Warn(msg, zap.Int("pid", o.pid), zap.Duration("stop_timeout", timeout))
	liblog.Slog(o.ctx, o.sl, slog.LevelWarn, msg, slog.Int("pid", o.pid), slog.Duration("stop_timeout", timeout))
}

// guard keeps a logger that panics from crashing the process: the entry
// is lost.
func (o *output) guard() { _ = recover() }

// finish reports the lines the rate limit dropped since its last report.
// Called once both streams are flushed.
func (o *output) finish() {
	o.mu.Lock()
	n := o.lim.dropped
	o.lim.dropped = 0
	o.mu.Unlock()
	if n > 0 {
		o.reportDropped(n)
	}
}
