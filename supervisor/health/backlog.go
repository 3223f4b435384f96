package health

// The backlog: the last events of the tree, kept by the handler so that a
// stream, and the page that reads it, starts with the recent past.

import (
	"net/http"
	"sync"

	"github.com/arbor-go/arbor/supervisor"
)

// DefaultBacklog is how many of the tree's last events a handler keeps for
// the streams it opens, unless told otherwise (see WithBacklog).
const DefaultBacklog = 256

// keeperBuffer is the buffer of the keeper's subscription. The keeper only
// copies each event into the ring, so it rarely falls behind; what it
// misses is missing from the backlog.
const keeperBuffer = 256

// eventKey identifies an event of a tree: a supervisor's sequence numbers
// start again in each run, and a sink's report has none, so the time and
// kind are part of it.
type eventKey struct {
	sup, kind, sink string
	seq             uint64
	at              int64 // Time.UnixNano
}

func keyOf(e *eventJSON) eventKey {
	return eventKey{sup: e.Supervisor, kind: e.Kind, sink: e.Sink, seq: e.Seq, at: e.Time.UnixNano()}
}

// backlog holds the last events of a handler's tree, oldest first, in a
// ring of fixed size. A keeper goroutine fills it from a subscription of its
// own. The keeper starts with the first request the handler serves while
// the tree runs (probes included), and ends when that run ends
// (Supervisor.Done) or when an http.Server that served the handler shuts
// down (Server.Shutdown; the handler learns its server from the request).
// The events held stay after the keeper ended, for the pages opened later.
//
// Rejected: starting the keeper in Handler, whether or not the tree runs;
// it would outlive a tree never run, and nothing would end it.
type backlog struct {
	mu      sync.Mutex
	ring    []eventJSON           // capacity is the backlog's size; guarded by mu
	next    int                   // where the next event goes once the ring is full; guarded by mu
	keeping bool                  // a keeper runs; guarded by mu
	stop    chan struct{}         // closed to end the running keeper; guarded by mu
	hooked  map[*http.Server]bool // servers whose Shutdown ends the keeper, until it did; guarded by mu
	done    chan struct{}         // closed when the last keeper started has ended; guarded by mu
	catchUp chan chan struct{}    // the running keeper's requests to catch up (see snapshot); guarded by mu
}

func newBacklog(size int) *backlog {
	if size <= 0 {
		return nil
	}
	return &backlog{ring: make([]eventJSON, 0, size)}
}

// keep starts the keeper, unless one runs or s is not running. It is called
// on each request; once a keeper runs, it costs a lock.
func (b *backlog) keep(s *supervisor.Supervisor, req *http.Request) {
	if b == nil {
		return
	}
	srv, _ := req.Context().Value(http.ServerContextKey).(*http.Server)
	b.mu.Lock()
	defer b.mu.Unlock()
	if srv != nil && !b.hooked[srv] {
		if b.hooked == nil {
			b.hooked = make(map[*http.Server]bool)
		}
		b.hooked[srv] = true
		srv.RegisterOnShutdown(func() {
			b.end()
			b.mu.Lock()
			delete(b.hooked, srv) // keep no server that is gone
			b.mu.Unlock()
		})
	}
	if b.keeping {
		return
	}
	done := s.Done()
	if closed(done) {
		return
	}
	sub, err := s.Subscribe(keeperBuffer)
	if err != nil {
		return // s was made by New, and the buffer is valid: not for this handler
	}
	b.keeping = true
	b.stop = make(chan struct{})
	b.done = make(chan struct{})
	b.catchUp = make(chan chan struct{})
	go b.run(sub, done, b.stop, b.done, b.catchUp)
}

// end ends the running keeper, if any. It is called when a server that
// served the handler shuts down.
func (b *backlog) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keeping {
		close(b.stop)
		b.keeping = false
	}
}

// run is the keeper: it copies each event of sub into the ring until the
// run ends (done) or a server shuts down (stop). Asked to catch up, it
// copies the events queued, then answers.
func (b *backlog) run(sub *supervisor.Subscription, done, stop <-chan struct{}, exited chan<- struct{}, catchUp <-chan chan struct{}) {
	defer close(exited)
	defer sub.Close()
	drain := func() {
		for len(sub.Events()) > 0 {
			b.add(<-sub.Events()) // only this goroutine receives
		}
	}
	for {
		select {
		case e := <-sub.Events():
			b.add(e)
		case answer := <-catchUp:
			drain()
			close(answer)
		case <-done:
			// Events are sent to a subscription as they happen: those of
			// the run's end are already queued.
			drain()
			b.mu.Lock()
			if b.stop == stop {
				b.keeping = false
			}
			b.mu.Unlock()
			return
		case <-stop:
			return
		}
	}
}

// add appends e to the ring, in place of the oldest event once it is full.
func (b *backlog) add(e supervisor.Event) {
	j := toJSON(e)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ring) < cap(b.ring) {
		b.ring = append(b.ring, j)
		return
	}
	b.ring[b.next] = j
	b.next = (b.next + 1) % len(b.ring)
}

// snapshot returns the events held, oldest first, and their keys. A
// running keeper first copies the events queued for it: every event that
// happened before the call is then in the ring, so that a stream that
// subscribed before it misses none. (Copying them here instead would race
// with an event the keeper has received and not yet copied, which the
// stream would then miss, the keeper's queue and the stream's
// subscription both having had it before the stream subscribed.)
func (b *backlog) snapshot() ([]eventJSON, map[eventKey]bool) {
	if b == nil {
		return nil, nil
	}
	b.mu.Lock()
	keeping, catchUp, exited := b.keeping, b.catchUp, b.done
	b.mu.Unlock()
	if keeping {
		answer := make(chan struct{})
		select {
		case catchUp <- answer:
			select {
			case <-answer:
			case <-exited:
			}
		case <-exited: // it ended
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	past := make([]eventJSON, 0, len(b.ring))
	past = append(past, b.ring[b.next:]...)
	past = append(past, b.ring[:b.next]...)
	seen := make(map[eventKey]bool, len(past))
	for i := range past {
		seen[keyOf(&past[i])] = true
	}
	return past, seen
}

// closed reports whether ch is closed, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
