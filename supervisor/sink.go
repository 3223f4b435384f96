package supervisor

// Events leave the supervisor through sinks: each observer, and each logger
// (zap, slog), has a bounded queue and a goroutine of its own. Events are built and
// queued with s.mu held, so they are numbered and queued in the order they
// happen; user code (Observe, the logger's core, the methods of the errors
// they carry) runs only in the sink's goroutine.
//
// What a sink's user code does, and what follows:
//
//	user code does       observer (Observe)                 logger (its core)
//	panics               recovered, logged with its stack;  recovered and counted;
//	                     delivery goes on                   delivery goes on
//	calls Goexit         a new goroutine takes over the     the same
//	                     queue; delivery goes on
//	blocks forever       its queue fills, later events are  the same (the count is
//	                     dropped and counted; at shutdown,  logged when it drains)
//	                     abandoned once it took no event
//	                     for 5s (or at the budget's end),
//	                     reported stuck like a child
//
// Run waits for every sink to take the events queued before it returns, for
// as long as the sink makes progress: a sink that takes no event for
// policy.DefaultShutdownTimeout (a worker's default shutdown timeout) is
// abandoned, and so is every sink still busy when the shutdown budget, if
// any, is spent. A slow sink that keeps taking events is waited for.

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/internal/errwalk"
	"github.com/arbor-go/arbor/policy"
	"go.uber.org/zap"
)

type sinkKind uint8

const (
	sinkLog sinkKind = iota // a zap logger (WithLogger)
	sinkObserver
	sinkSlog // a slog logger (WithSlog)
)

// logs reports whether k is a logger's sink (zap or slog).
func (k *sink) logs() bool { return k.kind != sinkObserver }

// sink is one consumer of events with its own queue and goroutine.
type sink struct {
	kind    sinkKind
	path    string      // its name in a stuck report, such as "root/(logger)"
	sup     string      // the path of the supervisor it belongs to, such as "root"
	deliver func(Event) // user code inside: runs only in the sink's goroutine
	flush   func()      // called once the queue is drained and closed, or nil
	loggers []*sink     // the log sinks told of an observer's panics
	ch      chan Event
	dropped atomic.Uint64
	done    chan struct{} // closed when the goroutine has taken the last event
	born    time.Time     // when the sink was made: the origin of took; immutable
	took    atomic.Int64  // once closing: when the goroutine last took an event (or flushed), as time since born
	closing atomic.Bool   // close was called: took is kept from then on (before, nobody reads it)

	mu     sync.RWMutex // guards closed against publish
	closed bool

	// late serializes the deliveries of the events published after close
	// (a stuck child's return after Run returned), each from a goroutine of
	// its own once the sink's goroutine ended (done): the loggers' state is
	// then theirs, one at a time.
	late sync.Mutex
}

func newSink(kind sinkKind, path string, buffer int, deliver func(Event)) *sink {
	return &sink{kind: kind, path: path, deliver: deliver, ch: make(chan Event, buffer), done: make(chan struct{}), born: time.Now()}
}

// start starts the sink's goroutine.
func (k *sink) start() { go k.loop() }

// loop delivers queued events until the queue is closed and drained. A
// Goexit in user code cannot be stopped: a new goroutine takes over.
func (k *sink) loop() {
	normal := false
	defer func() {
		if !normal {
			go k.loop()
		}
	}()
	for e := range k.ch {
		if k.closing.Load() {
			k.progress()
		}
		k.reportDropped(e.Time)
		k.one(e)
	}
	k.reportDropped(time.Now())
	if k.flush != nil {
		for k.progress(); !k.flushed(); k.progress() {
		}
	}
	normal = true
	close(k.done)
}

// progress records that the sink's goroutine takes an event now (or goes
// on flushing): what the shutdown's wait for the sink watches. It is kept
// only once the sink is closing (a clock read per event would cost every
// logged restart; the wait counts from its own beginning at the earliest).
func (k *sink) progress() { k.took.Store(int64(time.Since(k.born))) }

// lastTook returns when the sink's goroutine last made progress.
func (k *sink) lastTook() time.Time { return k.born.Add(time.Duration(k.took.Load())) }

// one delivers e, surviving a panic.
func (k *sink) one(e Event) {
	defer func() {
		if v := recover(); v != nil && len(k.loggers) > 0 {
			pe := newPanicError(v)
			for _, l := range k.loggers {
				l.publish(Event{Kind: eventSinkPanicked, Time: time.Now(), Supervisor: e.Supervisor, Path: e.Path,
					Sink: k.path, Err: pe, ErrText: errwalk.Message(pe), note: "observer panicked", cause: e.Kind})
			}
		}
	}()
	k.deliver(e)
}

// flushed calls k.flush, surviving a panic, and reports whether it
// returned. A flush makes progress before each call of user code, so that
// calling it again (here, or in the goroutine that takes over after a
// Goexit) goes on where it stopped.
func (k *sink) flushed() (ok bool) {
	defer func() { _ = recover() }()
	k.flush()
	return true
}

// reportDropped tells the consumer how many events it missed, if any.
func (k *sink) reportDropped(at time.Time) {
	n := k.dropped.Swap(0)
	if n == 0 {
		return
	}
	e := Event{Kind: EventObserverDropped, Time: at, Supervisor: k.sup, Path: k.sup, Sink: k.path, Dropped: n}
	for _, l := range k.loggers {
		l.publish(e)
	}
	k.one(e)
}

// publish queues e without blocking, or counts it as dropped.
func (k *sink) publish(e Event) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		if k.logs() && e.Kind == EventStuckExited {
			k.publishLate(e)
		}
		return
	}
	select {
	case k.ch <- e:
	default:
		k.dropped.Add(1)
	}
}

// publishLate delivers e, a stuck child's return published after the sink
// was closed (after Run returned), from a goroutine of its own (user code),
// after the sink's goroutine's last delivery and one at a time.
//
// It is a function of its own, taking its copy of e, so that only this rare
// path moves an Event to the heap: with the goroutine's closure in publish,
// publish's own e escaped, and every event queued to every sink cost an
// allocation of the whole Event (2 allocations and 512 B per logged restart,
// BenchmarkRestartLogged).
//
//go:noinline
func (k *sink) publishLate(e Event) {
	go func() {
		<-k.done
		k.late.Lock()
		defer k.late.Unlock()
		k.one(e)
	}()
}

// close stops accepting events; the goroutine drains what is queued.
func (k *sink) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.closed = true
		k.closing.Store(true)
		close(k.ch)
	}
}

// sinkStall is how long a sink may take no event, once Run waits for it,
// before it is abandoned: a worker's default shutdown timeout.
const sinkStall = policy.DefaultShutdownTimeout

// closeSinks closes the sinks this run owns and waits for them to take the
// events queued: for each, as long as it makes progress, until it has taken
// no event for sinkStall, and no later than the shutdown budget's end if
// there is one. It returns the sinks abandoned, reported like stuck
// children, with how long Run waited for the sinks.
func (r *run) closeSinks() []StuckChild {
	if len(r.own) == 0 {
		return nil
	}
	for _, k := range r.own {
		k.close()
	}
	r.s.mu.Lock()
	deadline := r.deadline
	r.s.mu.Unlock()
	begin := time.Now()
	// One timer for every wait, armed again for each: a timer's channel
	// delivers once, so a wait must never select on a channel that an
	// earlier wait already drained.
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var stuck []StuckChild
	for _, k := range r.own {
		if !k.await(t, begin, deadline) {
			stuck = append(stuck, StuckChild{Path: k.path, Waited: time.Since(begin)})
		}
	}
	return stuck
}

// await waits for k's goroutine to take its last event, and reports whether
// it did. It gives up once k has taken no event for sinkStall (counted from
// begin at the earliest: a sink blocked during the run gets the stall anew
// when the shutdown waits for it), or at deadline (none if zero). t is armed
// for each wait.
func (k *sink) await(t *time.Timer, begin, deadline time.Time) bool {
	for {
		last := k.lastTook()
		if last.Before(begin) {
			last = begin
		}
		end := last.Add(sinkStall)
		if !deadline.IsZero() && deadline.Before(end) {
			end = deadline
		}
		d := time.Until(end)
		if d <= 0 {
			select {
			case <-k.done:
				return true
			default:
				return false
			}
		}
		t.Reset(d)
		select {
		case <-k.done:
			return true
		case <-t.C:
			// Past the budget or the stall, unless it took an event
			// meanwhile: then it is given the stall again.
		}
	}
}

// logSinks and observerSinks return r's sinks of one kind, for a child
// supervisor that inherits them.
func (r *run) logSinks() []*sink      { return r.sinksOf(sinkLog) }
func (r *run) observerSinks() []*sink { return r.sinksOf(sinkObserver) }

func (r *run) sinksOf(kind sinkKind) []*sink {
	var out []*sink
	for _, k := range r.sinks {
		if k.kind == kind {
			out = append(out, k)
		}
	}
	return out
}

// newObserverSink makes the sink of observer i of the supervisor at path;
// its panics are told to the log sinks among logs.
func newObserverSink(path string, i int, o Observer, buffer int, logs []*sink) *sink {
	name := path + PathSeparator + "(observer " + itoa(i) + ")"
	k := newSink(sinkObserver, name, buffer, o.Observe)
	k.sup = path
	for _, l := range logs {
		if l.logs() {
			k.loggers = append(k.loggers, l)
		}
	}
	return k
}

// newLogSink makes the sink that logs the events of the supervisor at path
// (and of those below it that inherit it) to log.
func newLogSink(path string, log *zap.Logger, buffer int) *sink {
	l := &logWriter{out: newZapBackend(log), limits: make(map[string]*limiter)}
	k := newSink(sinkLog, path+PathSeparator+"(logger)", buffer, l.write)
	k.sup = path
	k.flush = l.flush
	return k
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// emitLocked records an event: it counts it, gives it a sequence number and
// queues it for the sinks and subscriptions. Nothing is built when nobody
// listens. now is the time of the transition the event reports, which the
// caller has already read (a clock read costs more than the rest of an
// unobserved restart). Called with s.mu held.
//
// The event is built in publishLocked, not here: an Event is large, and
// its frame on the stack of an exiting child's goroutine (nearly full at
// that depth) would make every exit of an unobserved child grow its stack,
// a copy that doubled the time of stopping 10,000 children at once.
func (r *run) emitLocked(kind EventKind, c *child, err error, now instant, delay time.Duration, attempt int) {
	r.s.counts.countLocked(kind, c, err)
	subs := r.subscriptions()
	if len(r.sinks) == 0 && len(subs) == 0 {
		return
	}
	r.publishLocked(kind, c, err, "", 0, now, delay, attempt, subs)
}

// emitErrLocked is emitLocked for an event whose err came from user code (a
// child's error): text is its text, taken by the goroutine that received
// it. Called with s.mu held.
func (r *run) emitErrLocked(kind EventKind, c *child, err error, text string, now instant, delay time.Duration, attempt int) {
	r.emitTakenLocked(kind, c, err, text, textTaken, now, delay, attempt)
}

// emitTakenLocked is emitErrLocked with what else the child's goroutine
// learnt about err (errCanceled). Called with s.mu held.
func (r *run) emitTakenLocked(kind EventKind, c *child, err error, text string, how taken, now instant, delay time.Duration, attempt int) {
	r.s.counts.countLocked(kind, c, err)
	subs := r.subscriptions()
	if len(r.sinks) == 0 && len(subs) == 0 {
		return
	}
	r.publishLocked(kind, c, err, text, how, now, delay, attempt, subs)
}

// taken says what the goroutine that received an event's error learnt
// about it, so that no consumer calls the error's methods again.
type taken uint8

const (
	textTaken   taken = 1 << iota // text is the error's text
	errCanceled                   // context.Canceled is in the error's chain
)

// publishLocked builds the event emitLocked reports and hands it to the
// sinks and the subscriptions subs. Its ErrText is text if taken, else
// err's text as ownText gives it. Called with s.mu held.
//
//go:noinline
func (r *run) publishLocked(kind EventKind, c *child, err error, text string, how taken, now instant, delay time.Duration, attempt int, subs []*Subscription) {
	if how&textTaken == 0 {
		text = ownText(err)
	}
	r.seq++
	e := Event{Kind: kind, Seq: r.seq, Time: r.wallLocked(now), Supervisor: r.path, Path: r.path,
		Err: err, ErrText: text, Delay: delay, Attempt: attempt, canceled: how&errCanceled != 0, cfg: &r.s.cfg}
	if c != nil {
		e.Child, e.Path, e.Incarnation, e.Restarts = c.spec.Name, c.path, c.gen, int(c.restarts)
		if c.grouped && r.group != nil {
			e.Origin = r.group.path
		}
	}
	for _, k := range r.sinks {
		if k.logs() && (kind == EventFailed || kind == EventPanicked) {
			continue // a log entry is written for the restart or stop that follows, not the exit
		}
		k.publish(e)
	}
	for _, sub := range subs {
		sub.send(e) // never runs user code
	}
}

// problemLocked logs a failure that no event entry covers, such as a child
// left stopped after an abnormal exit. Called with s.mu held.
func (r *run) problemLocked(c *child, msg string, err error, text string) {
	for _, k := range r.sinks {
		if k.logs() {
			k.publish(Event{Kind: eventProblem, Time: time.Now(), Supervisor: r.path, Child: c.spec.Name, Path: c.path,
				Incarnation: c.gen, Restarts: int(c.restarts), Err: err, ErrText: text, note: msg, cfg: &r.s.cfg})
		}
	}
}
