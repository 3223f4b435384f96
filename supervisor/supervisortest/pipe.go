package supervisortest

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// PipeListener is a net.Listener whose connections are in-memory net.Pipe
// pairs, made by its own Dial and DialContext. It lets an actor that
// serves on a listener (an http.Server, a gRPC server) run inside a
// testing/synctest bubble, where a real socket would make synctest.Wait
// hang: every wait of a PipeListener, and of the connections net.Pipe
// makes, blocks on channels and timers, which synctest counts as durably
// blocked.
//
// Give the actor a listener in its constructor (or a function returning
// one, if it is restarted: a closed PipeListener stays closed), and give the
// client DialContext, for example as http.Transport.DialContext. Create the
// PipeListener inside the bubble that uses it.
type PipeListener struct {
	conns chan net.Conn // the server ends of dialled pipes, handed to Accept
	done  chan struct{} // closed by Close
	once  sync.Once     // guards the closing of done
}

var _ net.Listener = (*PipeListener)(nil)

// NewPipeListener returns an open PipeListener.
func NewPipeListener() *PipeListener {
	return &PipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a Dial and returns the server end of its pipe. After
// Close it returns an error wrapping net.ErrClosed.
func (l *PipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: pipeAddr{}, Err: net.ErrClosed}
	}
}

// Close closes the listener: a blocked Accept returns, and later Accepts and
// Dials fail. Connections already accepted stay open. It is safe to call
// more than once.
func (l *PipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the listener's address, whose network and string are "pipe".
func (l *PipeListener) Addr() net.Addr { return pipeAddr{} }

// Dial connects to the listener: it waits until Accept takes the server end
// of a new pipe and returns the client end.
func (l *PipeListener) Dial() (net.Conn, error) {
	return l.DialContext(context.Background(), "pipe", "pipe")
}

// DialContext is Dial with a context, with the signature of
// http.Transport.DialContext and net.Dialer.DialContext; network and
// address are ignored. It returns an error wrapping context.Cause(ctx) if
// ctx ends before Accept takes the pipe, and one wrapping net.ErrClosed if
// the listener is closed.
func (l *PipeListener) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Addr: pipeAddr{}, Err: net.ErrClosed}
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, fmt.Errorf("supervisortest: dial pipe: %w", context.Cause(ctx))
	}
}

// pipeAddr is the address of every PipeListener.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
