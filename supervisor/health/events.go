package health

// The "/events" stream: a tree's lifecycle events as server-sent events.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/arbor-go/arbor/supervisor"
)

// Defaults of a stream.
const (
	// defaultEventBuffer is how many events a client's subscription holds
	// before the next ones are dropped.
	defaultEventBuffer = 256
	// defaultHeartbeat is how often an idle stream sends a comment (which
	// keeps proxies from closing it) and checks that its supervisor is
	// still running, in case the event saying otherwise was dropped.
	defaultHeartbeat = 15 * time.Second
	// writeTimeout bounds each write to a client, so that a client that
	// stopped reading cannot keep its stream, and a server's shutdown,
	// waiting.
	writeTimeout = 10 * time.Second
	// maxBatch is how many queued events are written before a flush.
	maxBatch = 64
	// maxErrorText caps an error text sent to a client, in bytes.
	maxErrorText = 16 << 10
	// retryMillis is the reconnection delay a client is told to use.
	retryMillis = 3000
)

// streamConfig tunes the event streams of a handler; a zero field means its
// default. Tests set it; Handler leaves it zero.
type streamConfig struct {
	buffer    int           // each client's subscription buffer
	heartbeat time.Duration // the idle interval between liveness checks
	stall     func()        // if set, called before each wait for events
}

// eventJSON is the data of an "event: lifecycle".
type eventJSON struct {
	Seq         uint64    `json:"seq"`
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Supervisor  string    `json:"supervisor"`
	Child       string    `json:"child,omitempty"`
	Path        string    `json:"path"`
	Incarnation uint64    `json:"incarnation,omitempty"`
	Restarts    int       `json:"restarts"`
	Error       string    `json:"error,omitempty"`
	DelayMS     int64     `json:"delay_ms,omitempty"` // Delay in whole milliseconds, rounded
	Attempt     int       `json:"attempt,omitempty"`
	Dropped     uint64    `json:"dropped,omitempty"`
	Sink        string    `json:"sink,omitempty"`   // observer_dropped: the queue that lost events
	Origin      string    `json:"origin,omitempty"` // a group restart's: the child whose failure caused it
	Status      string    `json:"status,omitempty"` // a status event's text (actor.SetStatus)
}

// helloJSON is the data of the "event: hello" that opens a stream.
type helloJSON struct {
	Path    string `json:"path"`    // the tree path of the handler's supervisor
	Buffer  int    `json:"buffer"`  // the client's buffer, in events
	Backlog int    `json:"backlog"` // events of the recent past that follow at once
}

// droppedJSON is the data of an "event: dropped".
type droppedJSON struct {
	Dropped uint64 `json:"dropped"` // events lost since the last notice
	Total   uint64 `json:"total"`   // events lost since the stream began
}

// endJSON is the data of the "event: end" that closes a stream.
type endJSON struct {
	Reason string `json:"reason"`
}

// events serves "/events". It subscribes to the tree for as long as the
// request lasts and forwards each event; it never blocks the tree, whose
// subscription drops what this client cannot take.
func (h *handler) events(w http.ResponseWriter, req *http.Request) {
	buffer := h.stream.buffer
	if buffer <= 0 {
		buffer = defaultEventBuffer
	}
	sub, err := h.s.Subscribe(buffer)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer sub.Close()
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Accel-Buffering", "no") // tell reverse proxies not to buffer
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodHead {
		return
	}

	// Subscribed first, read second: whatever happens after this reading
	// arrives as an event, and an event both in the backlog and in the
	// subscription is sent once, from the backlog.
	path := h.s.Snapshot().Path
	past, seen := h.backlog.snapshot()
	st := &sse{w: w, rc: http.NewResponseController(w), seen: seen}
	fmt.Fprintf(&st.buf, "retry: %d\n\n", retryMillis)
	st.send("hello", helloJSON{Path: path, Buffer: buffer, Backlog: len(past)})
	for i := range past {
		st.send("lifecycle", past[i])
	}
	if reason := h.endReason(); reason != "" {
		st.send("end", endJSON{Reason: reason})
		st.flush()
		return
	}
	if st.flush() != nil {
		return
	}

	every := h.stream.heartbeat
	if every <= 0 {
		every = defaultHeartbeat
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var reported uint64 // drops already told to the client
	for {
		if h.stream.stall != nil {
			h.stream.stall()
		}
		end := ""
		select {
		case <-req.Context().Done():
			return
		case e := <-sub.Events():
			end = st.lifecycle(e, path)
			for n := 1; end == "" && n < maxBatch && len(sub.Events()) > 0; n++ {
				end = st.lifecycle(<-sub.Events(), path) // only this goroutine receives
			}
		case <-tick.C:
			st.buf.WriteString(": ping\n\n")
			end = h.endReason()
		}
		if d := sub.Dropped(); d > reported {
			st.send("dropped", droppedJSON{Dropped: d - reported, Total: d})
			reported = d
			if end == "" {
				end = h.endReason() // the dropped events may have said so
			}
		}
		if end != "" {
			st.send("end", endJSON{Reason: end})
		}
		if st.flush() != nil || end != "" {
			return
		}
	}
}

// endReason says why a stream must end now: the supervisor is shutting down
// or not running. It is empty while the supervisor runs.
func (h *handler) endReason() string {
	switch r := h.s.Health().Reason; r {
	case supervisor.ReasonShuttingDown, supervisor.ReasonNotRunning:
		return r
	}
	return ""
}

// sse writes server-sent events to one client: events are queued in buf
// and written by flush. It is used by one goroutine, the request's.
type sse struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
	// seen holds the keys of the backlog's events sent first, which the
	// subscription may bring again; each is skipped once.
	seen map[eventKey]bool
}

// toJSON returns e as the data of an "event: lifecycle".
func toJSON(e supervisor.Event) eventJSON {
	return eventJSON{
		Seq: e.Seq, Time: e.Time, Kind: e.Kind.String(),
		Supervisor: e.Supervisor, Child: e.Child, Path: e.Path,
		Incarnation: e.Incarnation, Restarts: e.Restarts,
		Error:   capText(e.ErrText),
		DelayMS: e.Delay.Round(time.Millisecond).Milliseconds(),
		Attempt: e.Attempt, Dropped: e.Dropped, Sink: e.Sink, Origin: e.Origin,
		Status: capText(e.Status),
	}
}

// lifecycle queues e, unless the backlog sent it already, and returns the
// reason to end the stream if e is the start of the shutdown of the
// supervisor at path (the handler's).
func (st *sse) lifecycle(e supervisor.Event, path string) (end string) {
	j := toJSON(e)
	if k := keyOf(&j); st.seen[k] {
		delete(st.seen, k)
	} else {
		st.send("lifecycle", j)
	}
	if e.Kind == supervisor.EventShutdown && e.Child == "" && e.Supervisor == path {
		return supervisor.ReasonShuttingDown
	}
	return ""
}

// send queues one event named name with v as its JSON data. JSON has no raw
// line breaks, so the data is always a single "data:" line, and
// encoding/json escapes <, > and & besides.
func (st *sse) send(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // not for the values this file sends
	}
	st.buf.WriteString("event: ")
	st.buf.WriteString(name)
	st.buf.WriteString("\ndata: ")
	st.buf.Write(data)
	st.buf.WriteString("\n\n")
}

// flush writes what is queued and flushes it to the client, within
// writeTimeout.
func (st *sse) flush() error {
	// Not every ResponseWriter has deadlines (a test recorder has none).
	_ = st.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := st.w.Write(st.buf.Bytes())
	st.buf.Reset()
	if err != nil {
		return err
	}
	return st.rc.Flush()
}

// capText caps an error's text at maxErrorText bytes, at a rune boundary.
// The text is the event's ErrText, taken when the error was received: the
// stream never calls the error's methods (user code that could panic, or
// block and keep the stream, and a server's Close, waiting).
func capText(text string) string {
	if len(text) > maxErrorText {
		i := maxErrorText
		for i > 0 && !utf8.RuneStart(text[i]) {
			i--
		}
		text = text[:i] + "…"
	}
	return text
}
