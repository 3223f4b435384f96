package daemon

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// notifyGrace is how long Run waits, once the tree has stopped (or the
// budget is spent), for the notifications still queued to be sent, and
// then for its log entries still queued to be written. A notifier or a
// logger still blocked after it is abandoned.
const notifyGrace = time.Second

// sender delivers one Run's notifications from a goroutine of its own, so
// that a notifier that blocks (a service manager that stopped reading its
// socket: the kernel queues about ten datagrams, then the writer waits)
// never delays the handling of a signal, of the budget or of the tree's
// events: Run's loop only queues.
//
// What is queued, and how it is kept while the notifier is slow:
//
//	message      kept
//	READY=1      always, in order (never dropped)
//	STOPPING=1   always, in order (never dropped)
//	STATUS=...   only the latest: a newer line replaces one not yet sent,
//	             and takes its place at the end of the queue
//	WATCHDOG=1   at most one pending: pings coalesce, never pile up
//
// So the queue holds at most four messages.
//
// A rejected design: a channel per kind, selected by the goroutine. It
// cannot keep READY=1, STATUS= and STOPPING=1 in the order they happened.
type sender struct {
	n     Notifier
	wake  chan struct{} // buffered 1: something was queued, or closing was set
	ended chan struct{} // closed when the goroutine ends

	mu        sync.Mutex
	queue     []string // guarded by mu: messages not yet taken, oldest first
	closing   bool     // guarded by mu: Run is returning; end once the queue is empty
	abandoned bool     // guarded by mu: Run returned before the queue was sent; send nothing more
	sending   string   // guarded by mu: the message of the call in progress, or ""

	// failure reports a failed notification. Called by the goroutine only.
	failure func(state string, err error)
}

// newSender starts the goroutine that sends to n.
func newSender(n Notifier, failure func(state string, err error)) *sender {
	s := &sender{n: n, wake: make(chan struct{}, 1), ended: make(chan struct{}), failure: failure}
	go s.loop()
	return s
}

// push queues msg (READY=1 or STOPPING=1), never dropped.
func (s *sender) push(msg string) {
	s.mu.Lock()
	s.queue = append(s.queue, msg)
	s.mu.Unlock()
	s.poke()
}

// status queues a STATUS= line in place of one not yet sent.
func (s *sender) status(text string) {
	s.mu.Lock()
	s.queue = slices.DeleteFunc(s.queue, func(m string) bool { return strings.HasPrefix(m, "STATUS=") })
	s.queue = append(s.queue, "STATUS="+text)
	s.mu.Unlock()
	s.poke()
}

// ping queues WATCHDOG=1 unless one is already waiting.
func (s *sender) ping() {
	s.mu.Lock()
	for _, m := range s.queue {
		if m == sd.SdNotifyWatchdog {
			s.mu.Unlock()
			return
		}
	}
	s.queue = append(s.queue, sd.SdNotifyWatchdog)
	s.mu.Unlock()
	s.poke()
}

// poke wakes the goroutine.
func (s *sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default: // already awake or about to be
	}
}

// loop sends the queue in order until it is closed and empty, or
// abandoned.
func (s *sender) loop() {
	defer close(s.ended) // even if the notifier calls runtime.Goexit
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closing {
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		if len(s.queue) == 0 || s.abandoned {
			s.mu.Unlock()
			return
		}
		msg := s.queue[0]
		s.queue = s.queue[1:]
		s.sending = msg
		s.mu.Unlock()

		err := s.call(msg)

		s.mu.Lock()
		s.sending = ""
		abandoned := s.abandoned
		s.mu.Unlock()
		if abandoned {
			return // Run has returned: no more notifications, nor entries
		}
		if err != nil {
			s.failure(msg, err)
		}
	}
}

// call sends msg, turning a panic of the notifier into an error.
func (s *sender) call(msg string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the notifier panicked: %v", v)
		}
	}()
	return s.n.Notify(msg)
}

// close waits up to grace for what is queued to be sent, then abandons the
// goroutine. It returns the message of the call still in progress and how
// many were not sent, when it abandoned it; ok when everything was sent.
func (s *sender) close(grace time.Duration) (blocked string, unsent int, ok bool) {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.poke()
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-s.ended:
			return "", 0, true
		case <-t.C:
		}
	} else {
		select {
		case <-s.ended:
			return "", 0, true
		default:
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abandoned = true
	select {
	case <-s.ended: // it ended just now
		return "", 0, true
	default:
	}
	return s.sending, len(s.queue), false
}
