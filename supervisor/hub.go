package supervisor

import (
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// hub delivers events to observers: each has a bounded queue and its own
// goroutine, so a slow observer loses events instead of stalling the
// supervisor, and a panicking one is recovered. The Run that owns the hub
// starts the goroutines and drains them before it returns.
type hub struct {
	mu     sync.RWMutex
	closed bool
	subs   []*subscriber
	wg     sync.WaitGroup
	log    *zap.Logger
}

type subscriber struct {
	o       Observer
	ch      chan Event
	dropped atomic.Uint64
}

func newHub(observers []Observer, buffer int, log *zap.Logger) *hub {
	h := &hub{log: log}
	for _, o := range observers {
		h.subs = append(h.subs, &subscriber{o: o, ch: make(chan Event, buffer)})
	}
	return h
}

func (h *hub) start() {
	for _, sub := range h.subs {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			sub.deliver(h.log)
		}()
	}
}

// publish queues e for every observer without blocking.
func (h *hub) publish(e Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return
	}
	for _, sub := range h.subs {
		select {
		case sub.ch <- e:
		default:
			sub.dropped.Add(1)
		}
	}
}

// close stops accepting events and waits until every queued one has been
// delivered.
func (h *hub) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		for _, sub := range h.subs {
			close(sub.ch)
		}
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (sub *subscriber) deliver(log *zap.Logger) {
	report := func(e Event) {
		if n := sub.dropped.Swap(0); n > 0 {
			log.Warn("observer dropped events", zap.Uint64("dropped", n))
			sub.observe(Event{Kind: EventObserverDropped, Time: e.Time, Supervisor: e.Supervisor, Path: e.Supervisor, Dropped: n}, log)
		}
	}
	for e := range sub.ch {
		report(e)
		sub.observe(e, log)
	}
	report(Event{})
}

func (sub *subscriber) observe(e Event, log *zap.Logger) {
	defer func() {
		if v := recover(); v != nil {
			pe := newPanicError(v)
			log.Error("observer panicked", zap.String("event", e.Kind.String()), zap.Error(pe), zap.ByteString("stack", pe.Stack))
		}
	}()
	sub.o.Observe(e)
}
