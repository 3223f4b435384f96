//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// proc is a running example whose output (stdout and stderr together) is
// read line by line as it comes.
type proc struct {
	cmd  *exec.Cmd
	more chan struct{} // signalled when a line arrives
	eof  chan struct{} // closed when the output ends

	mu  sync.Mutex
	buf []string // every line so far

	next   int      // the next line waitFor looks at
	lines  []string // every line, once the process has exited
	exited bool
}

// startExample starts bin with args; the process is killed when ctx is done
// and reaped when the test ends.
func startExample(ctx context.Context, t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.CommandContext(ctx, bin, args...), more: make(chan struct{}, 1), eof: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	err = p.cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		t.Fatal(err)
	}
	go p.read(pr)
	t.Cleanup(func() {
		if !p.exited {
			p.cmd.Process.Kill()
			<-p.eof
			p.cmd.Wait()
		}
	})
	return p
}

// read collects the lines of r until it ends.
func (p *proc) read(r *os.File) {
	defer close(p.eof)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.buf = append(p.buf, sc.Text())
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
	}
}

// waitFor reads lines until one satisfies match, and returns it. It fails
// the test if the output ends or ctx is done first.
func (p *proc) waitFor(ctx context.Context, t *testing.T, match func(string) bool) string {
	t.Helper()
	for {
		p.mu.Lock()
		for p.next < len(p.buf) {
			line := p.buf[p.next]
			p.next++
			if match(line) {
				p.mu.Unlock()
				return line
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-p.eof:
			p.mu.Lock()
			n := len(p.buf)
			p.mu.Unlock()
			if p.next == n {
				t.Fatalf("the example's output ended before the expected line:\n%s", p.output())
			}
		case <-ctx.Done():
			t.Fatalf("the expected line did not come in time:\n%s", p.output())
		}
	}
}

// waitSeen waits until any line of the output so far, from the first,
// satisfies match, and returns it, without moving where waitFor goes on.
// It is for a line written in no fixed order with the others, such as
// the daemon's own entries (written by a goroutine of their own). It fails
// the test if the output ends or ctx is done first.
func (p *proc) waitSeen(ctx context.Context, t *testing.T, match func(string) bool) string {
	t.Helper()
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.buf); seen++ {
			if line := p.buf[seen]; match(line) {
				p.mu.Unlock()
				return line
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-p.eof:
			p.mu.Lock()
			n := len(p.buf)
			p.mu.Unlock()
			if seen == n {
				t.Fatalf("the example's output ended before the expected line:\n%s", p.output())
			}
		case <-ctx.Done():
			t.Fatalf("the expected line did not come in time:\n%s", p.output())
		}
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait(ctx context.Context, t *testing.T) int {
	t.Helper()
	select {
	case <-p.eof:
	case <-ctx.Done():
		t.Fatalf("the example did not exit in time:\n%s", p.output())
	}
	err := p.cmd.Wait()
	p.exited = true
	p.mu.Lock()
	p.lines = append([]string(nil), p.buf...)
	p.mu.Unlock()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	}
	t.Fatalf("the example ended abnormally: %v\n%s", err, p.output())
	return -1
}

// output returns the output so far.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.buf, "\n")
}

// consoleEntry splits a console log line into its message and its fields,
// or reports false if it is not one.
func consoleEntry(line string) (msg, fields string, ok bool) {
	parts := strings.SplitN(line, "\t", 4)
	if len(parts) < 3 {
		return "", "", false
	}
	if len(parts) == 4 {
		fields = parts[3]
	}
	return parts[2], fields, true
}

// msgIs matches a log line whose message is msg.
func msgIs(msg string) func(string) bool {
	return func(line string) bool { m, _, ok := consoleEntry(line); return ok && m == msg }
}

// msgPrefix matches a log line whose message begins with prefix.
func msgPrefix(prefix string) func(string) bool {
	return func(line string) bool { m, _, ok := consoleEntry(line); return ok && strings.HasPrefix(m, prefix) }
}

// field returns a string field of a console log line.
func (p *proc) field(t *testing.T, line, key string) string {
	t.Helper()
	_, fields, _ := consoleEntry(line)
	var m map[string]any
	if err := json.Unmarshal([]byte(fields), &m); err != nil {
		t.Fatalf("fields of %q: %v", line, err)
	}
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("no string field %q in %q", key, line)
	}
	return s
}

// stop is one "stopped" entry of the log.
type stop struct{ sup, path string }

// stops returns the "stopped" entries of the log, in order.
func (p *proc) stops(t *testing.T) []stop {
	t.Helper()
	var out []stop
	for _, line := range p.lines {
		msg, fields, ok := consoleEntry(line)
		if !ok || msg != "stopped" {
			continue
		}
		var f struct {
			Supervisor string `json:"supervisor"`
			Path       string `json:"path"`
		}
		if err := json.Unmarshal([]byte(fields), &f); err != nil {
			t.Fatalf("fields of %q: %v", line, err)
		}
		out = append(out, stop{f.Supervisor, f.Path})
	}
	return out
}
