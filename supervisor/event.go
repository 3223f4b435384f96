package supervisor

import (
	"fmt"
	"time"
)

// EventKind names a lifecycle transition.
type EventKind uint8

// The lifecycle events a supervisor emits.
const (
	EventStarted EventKind = iota + 1 // an incarnation was launched
	// EventReady: a child became ready. A WaitReady worker is ready when
	// it calls actor.Ready (a worker without WaitReady has no ready event);
	// a child supervisor, WaitReady or not, is ready when its own start
	// phase is done (a parent always waits for it), and has this event
	// in its parent, besides the events of its own children.
	EventReady
	EventExited            // an incarnation returned nil by itself
	EventFailed            // an incarnation returned an error
	EventPanicked          // an incarnation panicked; Err is a *PanicError
	EventRestarting        // a restart was decided; Delay and Attempt are set, Origin for a group
	EventStopped           // an incarnation stopped after being asked to (Origin: for its group's restart)
	EventStopTimeout       // a child did not stop within its timeout: stuck
	EventStuckExited       // a stuck child's goroutine finally returned
	EventStartFailed       // a child failed to start
	EventRemoved           // a child was removed from its supervisor
	EventIntensityExceeded // a restart would exceed the intensity
	EventEscalated         // the supervisor gave up; Err is the *EscalationError
	EventAutoShutdown      // significant children ended; the supervisor shuts down
	EventShutdown          // the supervisor began its shutdown
	EventObserverDropped   // a sink's queue was full; Dropped says how many, Sink which
	// EventHung: an incarnation missed its liveness deadline (see
	// Liveness). Err is the *HungError, with the child's stacks. It takes
	// the place of the failed event of that incarnation, and is emitted when
	// the hang is found, before the incarnation is cancelled; the restart
	// (restarting, started) follows once the incarnation has returned.
	EventHung
	// EventStatus: a child's incarnation published a new status text with
	// actor.SetStatus (see Snapshot.Status); Status is the text, empty when
	// it was cleared. It is emitted only when the text changes, and counts
	// nothing.
	EventStatus
)

var eventNames = [...]string{
	EventStarted:           "started",
	EventReady:             "ready",
	EventExited:            "exited",
	EventFailed:            "failed",
	EventPanicked:          "panicked",
	EventRestarting:        "restarting",
	EventStopped:           "stopped",
	EventStopTimeout:       "stop_timeout",
	EventStuckExited:       "stuck_exited",
	EventStartFailed:       "start_failed",
	EventRemoved:           "removed",
	EventIntensityExceeded: "intensity_exceeded",
	EventEscalated:         "escalated",
	EventAutoShutdown:      "auto_shutdown",
	EventShutdown:          "shutdown",
	EventObserverDropped:   "observer_dropped",
	EventHung:              "hung",
	EventStatus:            "status",
}

// String returns the event's snake_case name, such as "restarting".
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one lifecycle transition, as a flat value. Events are built only
// when a logger level or an observer wants them.
//
// An event's Time is the instant the supervisor read for the transition,
// the one its intensity window and backoff count with, however much later
// the event was built: its monotonic reading is that instant exactly, so
// that Time.Sub between two events of one run measures what the supervisor
// measured, and its wall-clock reading is the wall clock's at that instant.
type Event struct {
	Kind        EventKind
	Seq         uint64        // per-supervisor sequence number, from 1, in order of occurrence; 0 for observer_dropped, a sink's report
	Time        time.Time     // when it happened: the transition's instant (see Event)
	Supervisor  string        // path of the supervisor that emitted it
	Child       string        // the child's name; empty for the supervisor's own events
	Path        string        // the child's path, or the supervisor's for its own events
	Incarnation uint64        // the child's incarnation, from 1 in each run
	Restarts    int           // restarts of the child so far in this run (see Counters.Restarts)
	Err         error         // the exit error, escalation, or problem
	Delay       time.Duration // backoff before a restart; how long a stop waited
	Attempt     int           // consecutive restarts of the child, this one included
	// Origin is set on the events of a group restart (OneForAll,
	// RestForOne): the path of the child whose failure restarted the
	// group. The failed child's restarting and started events carry it
	// (its own path), and so do the stopped, stop_timeout, removed,
	// started and ready events of each sibling the group restart stops,
	// removes or starts again: a sibling has no restarting event of its
	// own, though its restart counts (see Counters.Restarts). A sibling's
	// stop is a shutdown exit for its restart type, counted as
	// Counters.ExitsGroup. Empty otherwise.
	Origin  string
	Dropped uint64 // events a sink missed (EventObserverDropped)
	// Sink names, for EventObserverDropped, the queue that lost the
	// events: an observer's, such as "root/(observer 1)" (numbered from 0
	// in the order of WithObserver), or a logger's, "root/(logger)" or
	// "root/(slog)". Supervisor and Path are then the path of the
	// supervisor the sink belongs to.
	Sink string
	// Status is the status text of an EventStatus.
	Status string

	// ErrText is Err's text, taken once, when Err was received: by the
	// child's goroutine for a child's error, with Err's Error method guarded
	// (a panic in it gives a note naming the panic instead), and built from
	// texts taken that way for the errors the supervisor makes (an
	// *EscalationError, a *StartError). It is empty when Err is nil. Use it
	// rather than calling Err.Error(): Err's methods are user code that may
	// panic, block, or return something else the next time; the logs,
	// Health's event stream and the daemon package read ErrText only.
	ErrText string

	canceled bool      // context.Canceled is in Err's chain, as the child's goroutine found (EventStopped)
	note     string    // the log message of an internal event
	cause    EventKind // eventSinkPanicked: the event being delivered
	cfg      *config   // the emitting supervisor's configuration (log rate limit)
}

// Internal event kinds, seen only by the log sink.
const (
	eventProblem      EventKind = 200 + iota // a failure no other entry covers
	eventSinkPanicked                        // an observer panicked
)

// Observer receives events as values, for example to feed metrics. Each
// observer gets its own bounded queue and delivery goroutine: a slow one
// loses events (and is told how many) rather than stalling supervision, and
// a panic in Observe is recovered and reported.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }
