package supervisor

import (
	"context"
	"time"

	"github.com/arbor-go/arbor/internal/errwalk"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logWriter turns events into zap entries. It runs only in its sink's
// goroutine, so its fields need no lock; the logger's core is user code and
// runs nowhere else.
type logWriter struct {
	log    *zap.Logger
	limits map[string]*limiter // failure-entry rate limits, by child path
	last   map[string]Event    // the last limited entry of each path, for the flush
}

// levelOf is the level at which an event is logged. A child that returned
// an error other than context.Canceled after being asked to stop is worth a
// warning: it may not have stopped cleanly.
func levelOf(e *Event) zapcore.Level {
	switch e.Kind {
	case EventStopped:
		if e.Err != nil && !errwalk.Is(e.Err, context.Canceled) {
			return zapcore.WarnLevel
		}
	case EventRestarting, EventStuckExited, EventObserverDropped, eventProblem:
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

// write logs one event. Exits that are followed by a restart are logged
// once, by the restart entry.
func (w *logWriter) write(e Event) {
	if e.Kind == EventFailed || e.Kind == EventPanicked {
		return
	}
	lvl := levelOf(&e)
	if !w.log.Core().Enabled(lvl) {
		return
	}
	fields := make([]zap.Field, 0, 10)
	fields = append(fields, zap.String("supervisor", e.Supervisor))
	if e.Child != "" {
		fields = append(fields, zap.String("path", e.Path), zap.String("child", e.Child),
			zap.Uint64("incarnation", e.Incarnation), zap.Int("restarts", e.Restarts))
	}
	msg := e.note
	if int(e.Kind) < len(eventMessages) {
		msg = eventMessages[e.Kind]
	}
	switch e.Kind {
	case EventRestarting, eventProblem:
		if !w.allow(&e) {
			return
		}
		if e.Kind == EventRestarting {
			msg = "failed; restarting"
			if e.Delay > 0 {
				msg = "failed; restarting in " + roundDelay(e.Delay).String()
			}
			if e.Err == nil {
				msg = "exited; restarting"
			}
			fields = append(fields, zap.Duration("delay", e.Delay), zap.Int("attempt", e.Attempt))
		}
		fields = w.appendStack(fields, &e)
	case EventStopped:
		if lvl == zapcore.WarnLevel {
			msg = "stopped with an error"
		}
	case EventStopTimeout:
		fields = append(fields, zap.Duration("waited", e.Delay))
	case EventObserverDropped:
		fields = append(fields, zap.Uint64("dropped", e.Dropped))
	case eventSinkPanicked:
		fields = append(fields, zap.String("event", e.cause.String()))
		if pe, ok := e.Err.(*PanicError); ok {
			fields = append(fields, zap.ByteString("stack", pe.Stack))
		}
	}
	if e.Err != nil {
		text := e.text
		if text == "" {
			text = errwalk.Message(e.Err)
		}
		fields = append(fields, zap.String("error", text))
	}
	if ce := w.log.Check(lvl, msg); ce != nil {
		ce.Write(fields...)
	}
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
		w.suppressed(e, suppressed)
	}
	if !ok {
		if w.last == nil {
			w.last = make(map[string]Event)
		}
		w.last[e.Path] = *e
	}
	return ok
}

// suppressed logs how many failure entries of e's child were not logged.
func (w *logWriter) suppressed(e *Event, n int) {
	w.log.Warn("failure entries suppressed", zap.String("supervisor", e.Supervisor), zap.String("path", e.Path),
		zap.String("child", e.Child), zap.Int("suppressed", n))
}

// flush logs the counts still held by the rate limits when the sink
// closes, so that a crash loop that ends within its period is not lost.
func (w *logWriter) flush() {
	for path, l := range w.limits {
		if l.suppressed > 0 {
			e := w.last[path]
			w.suppressed(&e, l.suppressed)
			l.suppressed = 0
		}
	}
}

// appendStack adds a panic's stack, once per rate-limit period per child.
func (w *logWriter) appendStack(fields []zap.Field, e *Event) []zap.Field {
	pe, ok := e.Err.(*PanicError)
	if !ok {
		return fields
	}
	l := w.limits[e.Path]
	if l != nil && l.stackShown {
		return fields
	}
	if l != nil && e.cfg != nil {
		l.stackShown = e.cfg.logBurst > 0
	}
	return append(fields, zap.ByteString("stack", pe.Stack))
}

// roundDelay rounds a delay for reading: to the millisecond above one.
func roundDelay(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d
}
