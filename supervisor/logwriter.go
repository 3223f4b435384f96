package supervisor

import (
	"time"

	"github.com/arbor-go/arbor/internal/liblog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logWriter turns events into log entries (a level, a message, typed
// fields and, for a panic, its stack) and hands them to a backend, which
// renders them with zap (zapBackend) or log/slog (slogBackend). It runs
// only in its sink's goroutine, so its fields need no lock; the backend's
// logger is user code and runs nowhere else.
type logWriter struct {
	out    logBackend
	limits map[string]*limiter // failure-entry rate limits, by child path
	last   map[string]Event    // the last suppressed entry of each path, for its count
	fields []logField          // the entry being built, reused: backends do not keep it
}

// logBackend renders the entries of a logWriter. Both methods call user
// code (a zap core, a slog.Handler): they run only in the sink's goroutine.
type logBackend interface {
	// enabled reports whether entries at lvl are wanted; an entry that
	// is not is not built.
	enabled(lvl zapcore.Level) bool
	// write writes one entry, stamped at (the time of the event it
	// reports, not of the write: entries are written after the fact, in
	// the sink's goroutine). stack, a panic's stack, may be nil. fields
	// is valid only during the call.
	write(at time.Time, lvl zapcore.Level, msg string, fields []logField, stack []byte)
}

// fieldKind is the type of a logField's value.
type fieldKind uint8

const (
	fieldString   fieldKind = iota // str
	fieldInt                       // int64(num)
	fieldUint                      // num
	fieldDuration                  // time.Duration(num)
)

// logField is one field of an entry, typed so that each backend makes its
// own field (zap.Field, slog.Attr) without going through an interface.
type logField struct {
	key  string
	str  string
	num  uint64
	kind fieldKind
}

func strField(key, s string) logField { return logField{key: key, str: s, kind: fieldString} }
func intField(key string, n int) logField {
	return logField{key: key, num: uint64(int64(n)), kind: fieldInt}
}
func uintField(key string, n uint64) logField { return logField{key: key, num: n, kind: fieldUint} }
func durField(key string, d time.Duration) logField {
	return logField{key: key, num: uint64(int64(d)), kind: fieldDuration}
}

// zapBackend writes entries to a zap logger. A panic's stack goes in the
// entry's Stack, not in a field: a console encoder prints it on lines of
// its own, a JSON encoder under its StacktraceKey ("stacktrace" in zap's
// presets).
type zapBackend struct{ log *zap.Logger }

// newZapBackend returns the backend that writes to log without the caller
// and the stack trace zap would add (zap.NewProduction adds the caller to
// every entry and a stack to those at Error): both would be those of the
// sink's goroutine, the library's internals, the same in every entry and
// of no use to the reader. The entry's fields say which child and
// supervisor it is about; a panic's own stack is still the entry's stack.
func newZapBackend(log *zap.Logger) *zapBackend {
	return &zapBackend{log: liblog.Zap(log)}
}

func (b *zapBackend) enabled(lvl zapcore.Level) bool { return b.log.Core().Enabled(lvl) }

func (b *zapBackend) write(at time.Time, lvl zapcore.Level, msg string, fields []logField, stack []byte) {
	ce := b.log.Check(lvl, msg)
	if ce == nil {
		return
	}
	ce.Time = at
	if len(stack) > 0 {
		ce.Stack = string(trimNewline(stack))
	}
	// A fresh slice: a core may keep the fields it is given.
	zf := make([]zap.Field, len(fields))
	for i := range fields {
		f := &fields[i]
		switch f.kind {
		case fieldString:
			zf[i] = zap.String(f.key, f.str)
		case fieldInt:
			zf[i] = zap.Int64(f.key, int64(f.num))
		case fieldUint:
			zf[i] = zap.Uint64(f.key, f.num)
		case fieldDuration:
			zf[i] = zap.Duration(f.key, time.Duration(f.num))
		}
	}
	ce.Write(zf...)
}

// trimNewline drops the newline that ends a stack.
func trimNewline(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
}

// levelOf is the level at which an event is logged. A child that returned
// an error other than context.Canceled after being asked to stop is worth a
// warning: it may not have stopped cleanly. Whether the error is
// context.Canceled was found by the child's goroutine (Event.canceled): the
// sink calls none of the error's methods.
func levelOf(e *Event) zapcore.Level {
	switch e.Kind {
	case EventStopped:
		if e.Err != nil && !e.canceled {
			return zapcore.WarnLevel
		}
	case EventRestarting, EventStuckExited, EventObserverDropped, eventProblem, EventHung:
		return zapcore.WarnLevel
	case EventIntensityExceeded, EventEscalated, EventStartFailed, EventStopTimeout, eventSinkPanicked:
		return zapcore.ErrorLevel
	case EventAutoShutdown, EventShutdown:
		return zapcore.InfoLevel
	}
	return zapcore.DebugLevel
}

var eventMessages = [...]string{
	EventStarted:           "started",
	EventReady:             "ready",
	EventExited:            "exited",
	EventStopped:           "stopped",
	EventStopTimeout:       "did not stop in time; abandoned as stuck",
	EventStuckExited:       "stuck child finally returned",
	EventStartFailed:       "failed to start",
	EventRemoved:           "removed",
	EventIntensityExceeded: "restart intensity exceeded",
	EventEscalated:         "giving up; escalating",
	EventAutoShutdown:      "significant child ended; shutting down",
	EventShutdown:          "shutting down",
	EventObserverDropped:   "events dropped: a consumer's queue was full",
	EventHung:              "hung: missed its liveness deadline; cancelled",
	EventStatus:            "status",
}

// limiter rate-limits the failure entries logged for one child.
type limiter struct {
	start      time.Time // beginning of the current period
	n          int       // entries logged in it
	suppressed int       // entries suppressed in it
	stackShown bool      // a panic stack was logged in it
}

// allow reports whether a failure entry may be logged at now, and how many
// were suppressed in the period that just ended (to be reported once).
func (l *limiter) allow(now time.Time, burst int, per time.Duration) (ok bool, suppressed int) {
	if burst == 0 {
		return true, 0
	}
	if l.start.IsZero() || now.Sub(l.start) >= per {
		suppressed = l.suppressed
		*l = limiter{start: now}
	}
	if l.n >= burst {
		l.suppressed++
		return false, suppressed
	}
	l.n++
	return true, suppressed
}

// common starts an entry's fields with those every entry of e carries: the
// supervisor, for a child its path, name, incarnation and restarts, and
// during a group restart its origin.
func (w *logWriter) common(e *Event) []logField {
	fields := append(w.fields[:0], strField("supervisor", e.Supervisor))
	if e.Child != "" {
		fields = append(fields, strField("path", e.Path), strField("child", e.Child),
			uintField("incarnation", e.Incarnation), intField("restarts", e.Restarts))
	}
	if e.Origin != "" {
		fields = append(fields, strField("origin", e.Origin))
	}
	return fields
}

// write logs one event. Exits that are followed by a restart are logged
// once, by the restart entry.
func (w *logWriter) write(e Event) {
	if e.Kind == EventFailed || e.Kind == EventPanicked {
		return
	}
	lvl := levelOf(&e)
	if !w.out.enabled(lvl) {
		return
	}
	msg := e.note
	if int(e.Kind) < len(eventMessages) {
		msg = eventMessages[e.Kind]
	}
	var stack []byte
	switch e.Kind {
	case EventRestarting, eventProblem, EventHung:
		if !w.allow(&e) {
			return
		}
		stack = w.stackOf(&e)
	}
	fields := w.common(&e)
	switch e.Kind {
	case EventRestarting:
		msg = restartMessage(&e)
		fields = append(fields, durField("delay", e.Delay), intField("attempt", e.Attempt))
	case EventStopped:
		switch {
		case lvl == zapcore.WarnLevel && e.Origin != "":
			msg = "stopped with an error to restart with its group"
		case lvl == zapcore.WarnLevel:
			msg = "stopped with an error"
		case e.Origin != "":
			msg = "stopped to restart with its group"
		}
	case EventStopTimeout:
		fields = append(fields, durField("waited", e.Delay))
	case EventStatus:
		fields = append(fields, strField("status", e.Status))
	case EventObserverDropped:
		fields = append(fields, strField("sink", e.Sink), uintField("dropped", e.Dropped))
	case eventSinkPanicked:
		fields = append(fields, strField("sink", e.Sink), strField("event", e.cause.String()))
		if pe, ok := e.Err.(*PanicError); ok {
			stack = pe.Stack
		}
	}
	if e.Err != nil {
		fields = append(fields, strField("error", e.ErrText)) // never e.Err.Error(): see Event.ErrText
	}
	w.emit(e.Time, lvl, msg, fields, stack)
}

// restartMessage is the message of a restarting entry: "failed;
// restarting in 2s", "exited; restarting" for a normal exit, "failed;
// restarting with its group" for a failure that restarts a group (the
// siblings' entries are "stopped to restart with its group" and "started",
// with the same origin).
func restartMessage(e *Event) string {
	msg := "failed; restarting"
	if e.Err == nil {
		msg = "exited; restarting"
	} else if _, hung := e.Err.(*HungError); hung {
		msg = "hung; restarting"
	}
	if e.Origin != "" {
		msg += " with its group"
	}
	if e.Delay > 0 {
		msg += " in " + roundDelay(e.Delay).String()
	}
	return msg
}

// emit hands an entry built in w.fields to the backend, then keeps the
// buffer for the next one, holding no strings of this one.
func (w *logWriter) emit(at time.Time, lvl zapcore.Level, msg string, fields []logField, stack []byte) {
	w.out.write(at, lvl, msg, fields, stack)
	clear(fields)
	w.fields = fields[:0]
}

// allow applies the child's failure-log rate limit to e, and logs the count
// of entries suppressed in the period that just ended.
func (w *logWriter) allow(e *Event) bool {
	if e.cfg == nil || e.Path == "" {
		return true
	}
	l := w.limits[e.Path]
	if l == nil {
		l = new(limiter)
		w.limits[e.Path] = l
	}
	ok, suppressed := l.allow(e.Time, e.cfg.logBurst, e.cfg.logPer)
	if suppressed > 0 {
		last := w.last[e.Path]
		w.suppressed(e.Time, &last, suppressed)
	}
	if !ok {
		if w.last == nil {
			w.last = make(map[string]Event)
		}
		w.last[e.Path] = *e
	}
	return ok
}

// suppressed logs that n failure entries of a child were not logged; last
// is the last of them, whose fields (incarnation, restarts) the entry
// carries, as every entry of the child does. at is when the count is
// taken.
func (w *logWriter) suppressed(at time.Time, last *Event, n int) {
	if !w.out.enabled(zapcore.WarnLevel) {
		return
	}
	w.emit(at, zapcore.WarnLevel, "failure entries suppressed", append(w.common(last), intField("suppressed", n)), nil)
}

// flush logs the counts still held by the rate limits when the sink
// closes, so that a crash loop that ends within its period is not lost.
// Each count is taken before it is written: a flush that the backend
// interrupts (a panic, a Goexit) goes on with the others when called again.
func (w *logWriter) flush() {
	for path, l := range w.limits {
		if n := l.suppressed; n > 0 {
			l.suppressed = 0
			last := w.last[path]
			w.suppressed(time.Now(), &last, n)
		}
	}
}

// stackOf returns the stack of e's panic, once per rate-limit period per
// child, or nil.
func (w *logWriter) stackOf(e *Event) []byte {
	var stack []byte
	switch x := e.Err.(type) {
	case *PanicError:
		stack = x.Stack
	case *HungError:
		if e.Kind != EventHung {
			return nil // logged with the hung entry
		}
		stack = []byte(x.Stack)
	default:
		return nil
	}
	l := w.limits[e.Path]
	if l != nil && l.stackShown {
		return nil
	}
	if l != nil && e.cfg != nil {
		l.stackShown = e.cfg.logBurst > 0
	}
	return stack
}

// roundDelay rounds a delay for reading: to the millisecond above one.
func roundDelay(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d
}
