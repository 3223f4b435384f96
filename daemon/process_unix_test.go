//go:build unix

package daemon_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
)

// Each process test runs a scenario of helper_unix_test.go in a re-executed
// test binary, with a real unixgram socket as $NOTIFY_SOCKET, a 200ms
// watchdog, and real signals. Reads on the socket have deadlines; nothing
// sleeps.

// watchdogUSEC is the watchdog timeout the processes get: pings every
// 100ms.
const watchdogUSEC = "200000"

// daemonProc is one helper process and the socket it notifies.
type daemonProc struct {
	cmd    *exec.Cmd
	sock   *net.UnixConn
	stderr bytes.Buffer
	stdout *bufio.Reader // what the scenario's children write
	notes  []string      // the notifications read so far, pings excluded
	pings  int           // WATCHDOG=1 read so far
}

func startDaemon(t *testing.T, scenario string) *daemonProc {
	t.Helper()
	return startDaemonWith(t, scenario, nil)
}

// startDaemonWith is startDaemon, calling before with the socket's path
// before the process starts, when before is not nil.
func startDaemonWith(t *testing.T, scenario string, before func(path string)) *daemonProc {
	t.Helper()
	// A short directory: socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := dir + "/notify"
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })

	ctx, cancel := testutil.Context(t)
	t.Cleanup(cancel)
	p := &daemonProc{sock: sock}
	p.cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NOTIFY_SOCKET=") && !strings.HasPrefix(kv, "WATCHDOG_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, helperEnv+"="+scenario, "NOTIFY_SOCKET="+path, "WATCHDOG_USEC="+watchdogUSEC)
	p.cmd.Stderr = &p.stderr
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	p.cmd.Stdout = w
	p.stdout = bufio.NewReader(out)
	if before != nil {
		before(path)
	}
	err = p.cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// read returns the next notification, or false if none comes within d:
// for a check that nothing comes (a slow machine can only make it pass).
func (p *daemonProc) read(t *testing.T, d time.Duration) (string, bool) {
	t.Helper()
	return p.readBy(t, time.Now().Add(d))
}

// next returns the next notification, which must come: it waits until
// shortly before the test binary's deadline (testutil.Deadline), not for a
// guess at how long a busy machine takes.
func (p *daemonProc) next(t *testing.T) (string, bool) {
	t.Helper()
	return p.readBy(t, testutil.Deadline(t))
}

// readBy returns the next notification, or false if none comes by at (the
// zero time: no limit).
func (p *daemonProc) readBy(t *testing.T, at time.Time) (string, bool) {
	t.Helper()
	buf := make([]byte, 4096)
	p.sock.SetReadDeadline(at)
	n, err := p.sock.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n]), true
}

// expect reads notifications, counting the watchdog pings, until one
// other than a ping comes, and checks that it begins with want.
func (p *daemonProc) expect(t *testing.T, want string) string {
	t.Helper()
	for {
		msg, ok := p.next(t)
		if !ok {
			t.Fatalf("no %q notification by the test binary's deadline; so far %q; stderr:\n%s", want, p.notes, p.stderr.String())
		}
		if msg == "WATCHDOG=1" {
			p.pings++
			continue
		}
		p.notes = append(p.notes, msg)
		if !strings.HasPrefix(msg, want) {
			t.Fatalf("notification %q, want %q; so far %q", msg, want, p.notes)
		}
		return msg
	}
}

// signal sends sig to the process.
func (p *daemonProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *daemonProc) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	code := p.cmd.ProcessState.ExitCode()
	if code < 0 {
		t.Fatalf("the process did not exit by itself: %v; stderr:\n%s", p.cmd.ProcessState, p.stderr.String())
	}
	// Notifications sent before the exit are queued in the socket: each
	// read returns at once, and the deadline only ends the last one.
	for {
		msg, ok := p.read(t, 100*time.Millisecond)
		if !ok {
			break
		}
		if msg == "WATCHDOG=1" {
			p.pings++
		} else {
			p.notes = append(p.notes, msg)
		}
	}
	return code
}

// entries decodes the JSON log entries of the process's stderr.
func (p *daemonProc) entries(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("stderr line %q is not a JSON entry: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// errorEntries returns the entries at level error.
func (p *daemonProc) errorEntries(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, e := range p.entries(t) {
		if e["level"] == "error" {
			out = append(out, e)
		}
	}
	return out
}

func TestProcessCleanStop(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "notify")
	p.expect(t, "READY=1")
	for p.pings < 2 { // the watchdog pings while the tree is alive
		if msg, ok := p.next(t); !ok || msg != "WATCHDOG=1" {
			t.Fatalf("got %q (%v) while waiting for watchdog pings", msg, ok)
		}
		p.pings++
	}
	p.signal(t, syscall.SIGUSR1) // a nested supervisor gives up; the root restarts it
	p.expect(t, "STATUS=root/sub gave up: 0 restarts in 1m0s, then root/sub/leaf failed: boom")
	p.signal(t, syscall.SIGTERM)
	p.expect(t, "STOPPING=1")
	code := p.wait(t)
	t.Logf("exit status %d; notifications %q, and %d watchdog pings", code, p.notes, p.pings)
	if code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, p.stderr.String())
	}
	if len(p.notes) != 4 || p.notes[3] != "STATUS=stopped cleanly" {
		t.Errorf("notifications %q, want READY, STATUS, STOPPING, then STATUS=stopped cleanly", p.notes)
	}
	if e := p.errorEntries(t); len(e) != 0 {
		t.Errorf("error entries after a clean stop: %v", e)
	}
}

func TestProcessRootGivesUp(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "gave-up")
	p.expect(t, "READY=1")
	p.signal(t, syscall.SIGUSR1)
	p.expect(t, "STATUS=root gave up: 0 restarts in 1m0s, then root/leaf failed: boom")
	p.expect(t, "STOPPING=1")
	code := p.wait(t)
	t.Logf("exit status %d; notifications %q", code, p.notes)
	if code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, p.stderr.String())
	}
	e := p.errorEntries(t)
	if len(e) != 1 || e[0]["msg"] != "stopped with an error" || !strings.Contains(e[0]["error"].(string), "root gave up") {
		t.Errorf("error entries %v: want the escalation logged once", e)
	}
}

func TestProcessStartFailure(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "start-failure")
	code := p.wait(t)
	t.Logf("exit status %d; notifications %q", code, p.notes)
	if code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, p.stderr.String())
	}
	if len(p.notes) != 2 || p.notes[0] != "STOPPING=1" ||
		p.notes[1] != "STATUS=root: start of root/http failed: listen tcp: address already in use" {
		t.Errorf("notifications %q, want STOPPING=1 and the start error (no READY=1)", p.notes)
	}
	e := p.errorEntries(t)
	if len(e) != 1 || !strings.Contains(e[0]["error"].(string), "start of root/http failed") {
		t.Errorf("error entries %v: want the start error logged once", e)
	}
}

func TestProcessSecondSignal(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "second-signal")
	p.expect(t, "READY=1")
	p.signal(t, syscall.SIGTERM)
	p.expect(t, "STOPPING=1")
	p.signal(t, syscall.SIGINT)
	code := p.wait(t)
	t.Logf("exit status %d; notifications %q", code, p.notes)
	if code != 130 {
		t.Fatalf("exit status %d, want 130; stderr:\n%s", code, p.stderr.String())
	}
	e := p.errorEntries(t)
	if len(e) != 1 || e[0]["msg"] != "second signal; exiting at once" {
		t.Errorf("error entries %v: want the second signal logged once", e)
	}
}

func TestProcessShutdownBudget(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "budget")
	p.expect(t, "READY=1")
	p.signal(t, syscall.SIGTERM)
	p.expect(t, "STOPPING=1")
	p.expect(t, "STATUS=daemon: the tree did not stop within its shutdown budget of 300ms; still running: root/w (running), root/stubborn (stopping)")
	code := p.wait(t)
	t.Logf("exit status %d; notifications %q", code, p.notes)
	if code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, p.stderr.String())
	}
	e := p.errorEntries(t)
	if len(e) != 1 || !strings.Contains(e[0]["tree"].(string), "stubborn [worker stopping") {
		t.Errorf("error entries %v: want the budget error logged once, with the tree", e)
	}
}

// A child stuck while the process runs stops the watchdog pings; the exit
// status is 1, with the stuck report.
func TestProcessStuck(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "stuck")
	p.expect(t, "READY=1")
	p.signal(t, syscall.SIGUSR1) // Remove the stubborn child: stuck after 200ms
	p.expect(t, "STATUS=root/stubborn is stuck: it did not stop within 200ms")
	// The child was stuck before the event that sent STATUS=: no ping
	// since, and none for 10 periods.
	if msg, ok := p.read(t, time.Second); ok {
		t.Errorf("notification %q while a child is stuck; want none, the watchdog silent", msg)
	}
	p.signal(t, syscall.SIGTERM)
	p.expect(t, "STOPPING=1")
	code := p.wait(t)
	t.Logf("exit status %d; notifications %q", code, p.notes)
	if code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, p.stderr.String())
	}
	e := p.errorEntries(t)
	if len(e) != 1 {
		t.Fatalf("error entries %v: want the stuck error logged once", e)
	}
	stuck, _ := e[0]["stuck"].([]any)
	if len(stuck) != 1 || stuck[0].(map[string]any)["path"] != "root/stubborn" {
		t.Errorf("stuck report %v, want root/stubborn", e[0]["stuck"])
	}
}

// A process whose root and daemon log through slog only writes one stream
// in one format: every line of stderr is a slog JSON entry, the final
// error included; nothing comes through zap.
func TestProcessWithSlogWritesOneStream(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, "slog-gave-up")
	p.expect(t, "READY=1")
	p.signal(t, syscall.SIGUSR1)
	code := p.wait(t)
	if code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, p.stderr.String())
	}
	final := 0
	for _, e := range p.entries(t) {
		_, hasTime := e["time"]
		_, hasTS := e["ts"]
		if !hasTime || hasTS || strings.ToUpper(e["level"].(string)) != e["level"] {
			t.Errorf("entry %v is not slog's (time, upper-case level) but zap's", e)
		}
		if e["msg"] == "stopped with an error" && e["level"] == "ERROR" {
			final++
		}
	}
	if final != 1 {
		t.Errorf("%d \"stopped with an error\" entries at ERROR through slog, want 1; stderr:\n%s", final, p.stderr.String())
	}
}
