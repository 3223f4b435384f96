package health

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbor-go/arbor/supervisor"
)

// blocksOnSecondError is an error whose Error returns at once the first
// time and blocks, until released, every time after.
type blocksOnSecondError struct {
	calls   atomic.Int32
	release chan struct{}
}

func (e *blocksOnSecondError) Error() string {
	if e.calls.Add(1) > 1 {
		<-e.release
	}
	return "flaky: connection refused"
}

// TestEventsStreamUsesTextTakenAtExit fails a child with an error whose
// Error blocks on its second call. The stream sends the text taken when the
// child exited, and ends when the tree shuts down, so the server closes at
// once: it never calls Error again.
func TestEventsStreamUsesTextTakenAtExit(t *testing.T) {
	bad := &blocksOnSecondError{release: make(chan struct{})}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(bad.release) }) }
	defer release() // a failing test must not leave a goroutine blocked in Error

	fail := make(chan error, 1)
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "flaky", Actor: failOn(fail)}))
	stop := startTree(t, sup)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(sup)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	sr, _ := openStream(t, context.Background(), "http://"+ln.Addr().String())

	fail <- bad
	var got eventJSON
	for got.Kind != "failed" {
		decode(t, sr.expectEvent(t, "lifecycle"), &got)
	}
	if got.Error != "flaky: connection refused" {
		t.Errorf("failed event's error %q, want the text taken at the exit", got.Error)
	}

	runErr := make(chan error, 1)
	go func() { runErr <- stop() }()
	ended := make(chan error, 1)
	go func() {
		for {
			ev, err := sr.next()
			if err != nil {
				ended <- err
				return
			}
			if ev.name == "end" {
				_, err := sr.next()
				ended <- err
				return
			}
		}
	}()
	select {
	case err := <-ended:
		if err != io.EOF {
			t.Errorf("stream after its end: %v, want EOF", err)
		}
	case <-time.After(patience):
		t.Error("the stream did not end when the tree shut down: it is stuck in the error's Error")
	}
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case <-closed:
	case <-time.After(patience):
		t.Error("http.Server.Close did not return")
		release()
		<-closed
	}
	release()
	<-served
	if err := <-runErr; err != nil {
		t.Errorf("Run = %v", err)
	}
	if n := bad.calls.Load(); n != 1 {
		t.Errorf("Error called %d times, want once (by the child's goroutine)", n)
	}
}
