package process

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/internal/liblog"
	"github.com/arbor-go/arbor/internal/oneline"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// output logs the lines of one incarnation's stdout and stderr to the
// child's loggers (supervisor.Logger and supervisor.SlogLogger of its
// context), under a rate limit the two streams share.
//
// The loggers are called from a goroutine of the output's own (run), fed
// by a bounded queue: the goroutines that read the program's output only
// cut lines and queue them, so a logger that falls behind or hangs never
// blocks the program's writes (past the queue's bound, lines are dropped
// and counted, as the rate limit's are), and never keeps exec.Cmd.Wait
// (which waits for those readers, WaitDelay or not) from returning.
// finish waits for the queue to drain for WaitDelay at most; a logger
// still busy then finishes its entry after the incarnation has returned,
// and the rest of the queue is dropped.
//
// Rejected: logging from the reading goroutines (the first version). A
// stuck logger then blocked the program once the pipe was full, and kept
// the incarnation alive forever, because exec.Cmd.Wait waits for its
// copying goroutines even after WaitDelay has closed the pipes.
type output struct {
	ctx     context.Context
	zl      *zap.Logger  // the child's zap logger (a no-op one if none), without caller or stack (liblog.Zap)
	sl      *slog.Logger // the child's slog logger (a discarding one if none), written to with liblog.Slog
	pid     int          // set before started is closed; read only after (run reads it after a receive from q)
	started chan struct{}
	lineMax int

	q         chan entry    // to run; closed by finish, after the last send
	queued    atomic.Int64  // bytes of the lines in q
	maxQueued int64         // the bound of queued: outputQueueBytes, or two lines of LineMax if more
	cut       atomic.Bool   // set by finish when it stops waiting for run: run drops the rest
	done      chan struct{} // closed when run returns

	mu  sync.Mutex // guards lim
	lim limiter
}

// The queue's bounds: lines past either are dropped and counted. The
// byte bound grows to two lines of LineMax when LineMax is larger, so
// that a line as long as LineMax allows always fits.
const (
	outputQueueLines = 1024
	outputQueueBytes = 1 << 20
)

// entry is one entry for run to log: a line of output, a count of
// dropped lines, or a warning about a SIGKILL.
type entry struct {
	kind    entryKind
	stream  string        // entryLine: "stdout" or "stderr"
	msg     string        // entryLine: the line; entryKill: the message
	n       int           // entryDropped: how many
	timeout time.Duration // entryKill: the stop timeout
}

type entryKind uint8

const (
	entryLine entryKind = iota
	entryDropped
	entryKill
)

// newOutput returns an output and starts its logging goroutine; finish
// must be called once to end it.
func newOutput(ctx context.Context, lineMax int, lim limiter) *output {
	o := &output{ctx: ctx, zl: liblog.Zap(supervisor.Logger(ctx)), sl: supervisor.SlogLogger(ctx),
		started: make(chan struct{}), lineMax: lineMax, lim: lim,
		q: make(chan entry, outputQueueLines), done: make(chan struct{}),
		maxQueued: max(outputQueueBytes, 2*int64(lineMax))}
	go o.run()
	return o
}

// run logs the queued entries until q is closed.
func (o *output) run() {
	defer close(o.done)
	for e := range o.q {
		o.queued.Add(-int64(len(e.msg)))
		if !o.cut.Load() {
			o.write(e)
		}
	}
}

// send queues e for run, and reports whether there was room.
func (o *output) send(e entry) bool {
	size := int64(len(e.msg))
	if o.queued.Add(size) > o.maxQueued {
		o.queued.Add(-size)
		return false
	}
	select {
	case o.q <- e:
		return true
	default:
		o.queued.Add(-size)
		return false
	}
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
		dropped, l.dropped = l.dropped, 0 // dropped for want of room in the queue
		return true, dropped
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
		// The pieces of a long unended line, then what is left moved to
		// the front once (moving it after each piece made the cost grow
		// with the chunk times the number of pieces).
		j := 0
		for ; len(w.buf)-j >= max; j += max {
			w.o.log(w.stream, w.buf[j:j+max])
		}
		if j > 0 {
			w.buf = append(w.buf[:0], w.buf[j:]...)
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

// log queues one line as an entry of the child, at Info, with the stream
// and the pid, if the rate limit lets it through and the queue has room;
// a line dropped is counted.
func (o *output) log(stream string, line []byte) {
	if !o.enabled() {
		return
	}
	o.mu.Lock()
	ok, dropped := o.lim.take(time.Now())
	o.mu.Unlock()
	if dropped > 0 && !o.send(entry{kind: entryDropped, n: dropped}) {
		o.drop(dropped)
	}
	if !ok {
		return
	}
	// The message is one line, whatever the program wrote: its control
	// characters are escaped (a carriage return would overwrite the entry
	// on a terminal). A plain line costs a scan.
	if !o.send(entry{kind: entryLine, stream: stream, msg: oneline.Escape(string(line))}) {
		o.drop(1)
	}
}

// enabled reports whether either logger takes Info entries; a logger
// whose Enabled panics takes none (it is user code, called here on the
// goroutine that reads the program's output, which nothing else guards).
func (o *output) enabled() (ok bool) {
	defer o.guard()
	return o.zl.Core().Enabled(zap.InfoLevel) || o.sl.Enabled(o.ctx, slog.LevelInfo)
}

// drop counts n lines dropped for want of room in the queue; the next
// report of dropped lines includes them.
func (o *output) drop(n int) {
	o.mu.Lock()
	o.lim.dropped += n
	o.mu.Unlock()
}

// write logs e (from run).
func (o *output) write(e entry) {
	defer o.guard()
	switch e.kind {
	case entryLine:
		if o.zl.Core().Enabled(zap.InfoLevel) {
			o.zl.Info(e.msg, zap.String("stream", e.stream), zap.Int("pid", o.pid))
		}
		if o.sl.Enabled(o.ctx, slog.LevelInfo) {
			liblog.Slog(o.ctx, o.sl, slog.LevelInfo, e.msg, slog.String("stream", e.stream), slog.Int("pid", o.pid))
		}
	case entryDropped:
		const msg = "output lines dropped (rate limit, or a logger that fell behind)"
		o.zl.Warn(msg, zap.Int("dropped", e.n), zap.Int("pid", o.pid))
		liblog.Slog(o.ctx, o.sl, slog.LevelWarn, msg, slog.Int("dropped", e.n), slog.Int("pid", o.pid))
	case entryKill:
		o.zl.Warn(e.msg, zap.Int("pid", o.pid), zap.Duration("stop_timeout", e.timeout))
		liblog.Slog(o.ctx, o.sl, slog.LevelWarn, e.msg, slog.Int("pid", o.pid), slog.Duration("stop_timeout", e.timeout))
	}
}

// warnKill logs, at Warn, that the package sent SIGKILL to the program's
// group (or what was left of it) after its stop timeout.
func (o *output) warnKill(msg string, timeout time.Duration) {
	o.send(entry{kind: entryKill, msg: msg, timeout: timeout})
}

// guard keeps a logger that panics from crashing the process: the entry
// is lost.
func (o *output) guard() { _ = recover() }

// finish reports the lines dropped since the last report, ends the
// queue, and waits for run to log what is queued, for wait at most: then
// run drops the rest and finish returns without it. Called once, after
// the last log (both streams flushed).
func (o *output) finish(wait time.Duration) {
	o.mu.Lock()
	n := o.lim.dropped
	o.lim.dropped = 0
	o.mu.Unlock()
	if n > 0 {
		o.send(entry{kind: entryDropped, n: n}) // lost if the queue is full: its logger is stuck
	}
	close(o.q)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-o.done:
	case <-t.C:
		o.cut.Store(true)
	}
}
