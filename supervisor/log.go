package supervisor

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// levelOf is the level at which an event is logged. A child that returned
// an error other than context.Canceled after being asked to stop is worth a
// warning: it may not have stopped cleanly.
func levelOf(k EventKind, err error) zapcore.Level {
	switch k {
	case EventStopped:
		if err != nil && !errors.Is(err, context.Canceled) {
			return zapcore.WarnLevel
		}
	case EventRestarting, EventStuckExited, EventObserverDropped:
		return zapcore.WarnLevel
	case EventIntensityExceeded, EventEscalated, EventStartFailed, EventStopTimeout:
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

// emit records an event: it gives it a sequence number, queues it for the
// observers and logs it. Nothing is built when nobody listens. Called with
// s.mu held, so events are numbered and queued in the order they happen.
func (r *run) emit(kind EventKind, c *child, err error, delay time.Duration, attempt int) {
	r.s.counts.count(kind, err)
	logIt := r.logOn && eventLogged(kind) && r.log.Core().Enabled(levelOf(kind, err))
	subs := r.hasSubscribers()
	if r.hub == nil && !logIt && !subs {
		return
	}
	r.seq++
	e := Event{Kind: kind, Seq: r.seq, Time: time.Now(), Supervisor: r.path, Path: r.path,
		Err: err, Delay: delay, Attempt: attempt}
	if c != nil {
		e.Child, e.Path, e.Incarnation, e.Restarts = c.spec.Name, c.path, c.gen, int(c.restarts)
	}
	if r.hub != nil {
		r.hub.publish(e)
	}
	if subs {
		r.publishSubscribers(e)
	}
	if logIt {
		r.logEvent(&e, c)
	}
}

// eventLogged reports whether an event kind gets its own log entry. An
// exit that is followed by a restart is logged once, by the restart entry.
func eventLogged(k EventKind) bool {
	return k != EventFailed && k != EventPanicked && k != EventObserverDropped
}

func (r *run) logEvent(e *Event, c *child) {
	lvl := levelOf(e.Kind, e.Err)
	fields := make([]zap.Field, 0, 9)
	fields = append(fields, zap.String("supervisor", e.Supervisor))
	if c != nil {
		fields = append(fields, zap.String("path", e.Path), zap.String("child", e.Child),
			zap.Uint64("incarnation", e.Incarnation), zap.Int("restarts", e.Restarts))
	}
	msg := ""
	if int(e.Kind) < len(eventMessages) {
		msg = eventMessages[e.Kind]
	}
	switch e.Kind {
	case EventRestarting:
		ok, suppressed := c.extra().logLim.allow(e.Time, r.s.cfg.logBurst, r.s.cfg.logPer)
		if suppressed > 0 {
			r.log.Warn("failure entries suppressed", zap.String("path", c.path), zap.Int("suppressed", suppressed))
		}
		if !ok {
			return
		}
		msg = "failed; restarting"
		if e.Delay > 0 {
			msg = "failed; restarting in " + roundDelay(e.Delay).String()
		}
		if e.Err == nil {
			msg = "exited; restarting"
		}
		fields = append(fields, zap.Duration("delay", e.Delay), zap.Int("attempt", e.Attempt))
		fields = r.appendStack(fields, c, e.Err)
	case EventStopped:
		if lvl == zapcore.WarnLevel {
			msg = "stopped with an error"
		}
	case EventStopTimeout:
		fields = append(fields, zap.Duration("waited", e.Delay))
	}
	if e.Err != nil {
		fields = append(fields, zap.Error(e.Err))
	}
	if ce := r.log.Check(lvl, msg); ce != nil {
		ce.Write(fields...)
	}
}

// appendStack adds a panic's stack, once per rate-limit period per child.
func (r *run) appendStack(fields []zap.Field, c *child, err error) []zap.Field {
	var pe *PanicError
	lim := &c.extra().logLim
	if !errors.As(err, &pe) || lim.stackShown {
		return fields
	}
	lim.stackShown = r.s.cfg.logBurst > 0
	return append(fields, zap.ByteString("stack", pe.Stack))
}

// logProblem logs a failure that no event entry covers, such as a child
// left stopped after an abnormal exit or a decider that panicked. Called
// with s.mu held.
func (r *run) logProblem(c *child, msg string, err error) {
	if !r.logOn || !r.log.Core().Enabled(zapcore.WarnLevel) {
		return
	}
	if ok, _ := c.extra().logLim.allow(time.Now(), r.s.cfg.logBurst, r.s.cfg.logPer); !ok {
		return
	}
	fields := []zap.Field{zap.String("supervisor", r.path), zap.String("path", c.path), zap.String("child", c.spec.Name),
		zap.Uint64("incarnation", c.gen), zap.Int32("restarts", c.restarts), zap.Error(err)}
	fields = r.appendStack(fields, c, err)
	r.log.Warn(msg, fields...)
}

// roundDelay rounds a delay for reading: to the millisecond above one.
func roundDelay(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d
}
