//go:build linux

package daemon_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap/zapcore"
)

// fillSocket sends datagrams to the unixgram socket at path until its
// queue is full (the kernel queues about ten), so that the next sender to
// it blocks: a service manager that stopped reading.
func fillSocket(t *testing.T, path string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	for range 100000 {
		err := syscall.Sendto(fd, []byte("FILLER=1"), 0, &syscall.SockaddrUnix{Name: path})
		if errors.Is(err, syscall.EAGAIN) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the socket's queue never filled")
}

// readUntilOurs reads the socket until a datagram that fillSocket did not
// send comes out: the one an abandoned sender was blocked on.
func readUntilOurs(t *testing.T, sock *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	for {
		sock.SetReadDeadline(testutil.Deadline(t))
		n, err := sock.Read(buf)
		if err != nil {
			t.Fatalf("reading the notify socket: %v", err)
		}
		if msg := string(buf[:n]); msg != "FILLER=1" {
			return msg
		}
	}
}

// A $NOTIFY_SOCKET whose reader stopped reading does not make Run deaf:
// the first signal stops the tree, Run returns, and the sender blocked on
// the socket is abandoned and logged once.
func TestSignalIsHeardWhileTheNotifySocketIsFull(t *testing.T) {
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := dir + "/notify"
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	fillSocket(t, path)
	t.Setenv("NOTIFY_SOCKET", path)

	running := make(chan struct{})
	root := newRoot(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: actor.Func(func(ctx context.Context) error {
		close(running)
		<-ctx.Done()
		return nil
	})}))
	log, logs := supervisortest.ObservedLogger(zapcore.DebugLevel)
	sigs := make(chan os.Signal, 2)
	done := make(chan result, 1)
	go func() {
		code, err := daemon.Run(context.Background(), root, daemon.WithSignals(sigs), daemon.WithLogger(log),
			daemon.WithWatchdog(time.Millisecond)) // the default notifier: $NOTIFY_SOCKET
		done <- result{code, err, time.Now()}
	}()
	<-running // the tree is up: READY=1 (or a ping) is stuck in the full socket
	sigs <- syscall.SIGTERM
	select {
	case r := <-done:
		if r.code != daemon.ExitOK || r.err != nil {
			t.Errorf("Run = %d, %v; want 0, nil", r.code, r.err)
		}
	case <-testutil.Expiry(t):
		readUntilOurs(t, sock) // unblock the notifier, so that the test can end
		t.Fatal("Run did not return by the test binary's deadline after SIGTERM while the notify socket was full")
	}
	if n := logs.FilterMessageSnippet("abandoned").Len(); n != 1 {
		t.Errorf("%d entries about the abandoned notifier, want 1:\n%v", n, logs.All())
	}
	// Let the abandoned sender's call return: it sends nothing more.
	if msg := readUntilOurs(t, sock); msg != "READY=1" && msg != "WATCHDOG=1" && msg != "STOPPING=1" {
		t.Errorf("the abandoned sender was blocked on %q, want READY=1, WATCHDOG=1 or STOPPING=1", msg)
	}
}

// The same with real signals to a real process whose $NOTIFY_SOCKET is
// full from the start: SIGTERM stops it cleanly, and a second signal
// during a stubborn child's shutdown ends it with 130.
func TestProcessHearsSignalsWhileTheNotifySocketIsFull(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		sigs     []os.Signal
		code     int
	}{
		{"full-socket", []os.Signal{syscall.SIGTERM}, 0},
		{"full-socket-stubborn", []os.Signal{syscall.SIGTERM, syscall.SIGINT}, 130},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			p := startDaemonWith(t, tc.scenario, func(path string) { fillSocket(t, path) })
			if line, err := p.stdout.ReadString('\n'); strings.TrimSpace(line) != "running" {
				t.Fatalf("the process wrote %q (%v), want \"running\"; stderr:\n%s", line, err, p.stderr.String())
			}
			for _, sig := range tc.sigs {
				p.signal(t, sig)
			}
			code := p.wait(t)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tc.code, p.stderr.String())
			}
		})
	}
}
