//go:build linux

package process_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// runOnce runs p as a Transient child of a tree logging to a zap observer
// until it has exited by itself, and returns the entries logged with a
// "stream" field.
func runOnce(t *testing.T, p *process.Program) []observer.LoggedEntry {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	exited := make(chan struct{})
	sup := supervisortest.New(t, "root",
		supervisor.WithLogger(zap.New(core)),
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventExited || e.Kind == supervisor.EventFailed {
				close(exited)
			}
		})),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: p, Restart: policy.Transient}),
	)
	stop, _ := runTree(t, sup)
	<-exited
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var out []observer.LoggedEntry
	for _, e := range logs.All() {
		if _, ok := e.ContextMap()["pid"]; ok {
			out = append(out, e)
		}
	}
	return out
}

func TestOutputLinesArriveInOrderWithTheirFields(t *testing.T) {
	p := shell(`i=1; while [ $i -le 200 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; printf 'last without newline'`)
	entries := runOnce(t, p)
	var out, errs []string
	pid := int64(0)
	for _, e := range entries {
		f := e.ContextMap()
		if f["path"] != "root/prog" {
			t.Fatalf("entry %q has path %v, want root/prog", e.Message, f["path"])
		}
		if pid == 0 {
			pid = f["pid"].(int64)
		}
		if f["pid"] != pid || pid <= 0 {
			t.Fatalf("entry %q has pid %v, want %d", e.Message, f["pid"], pid)
		}
		switch f["stream"] {
		case "stdout":
			out = append(out, e.Message)
		case "stderr":
			errs = append(errs, e.Message)
		default:
			t.Fatalf("entry %q has stream %v", e.Message, f["stream"])
		}
	}
	for i := 1; i <= 200; i++ {
		if want := fmt.Sprintf("out %d", i); i > len(out) || out[i-1] != want {
			t.Fatalf("stdout entries = %q..., want %q at %d", out[:min(len(out), 5)], want, i)
		}
		if want := fmt.Sprintf("err %d", i); i > len(errs) || errs[i-1] != want {
			t.Fatalf("stderr entries = %q..., want %q at %d", errs[:min(len(errs), 5)], want, i)
		}
	}
	if len(out) != 201 || out[200] != "last without newline" {
		t.Fatalf("%d stdout entries, last %q; want 201, the last line unended", len(out), out[len(out)-1])
	}
}

func TestLongLinesAreSplitAndTheRateLimitCountsWhatItDrops(t *testing.T) {
	p := shell(`printf '%s\n' 0123456789abcdefghij; i=0; while [ $i -lt 50 ]; do echo "x $i"; i=$((i+1)); done`)
	p.LineMax = 8
	p.OutputLimit = process.OutputLimit{Lines: 10, Per: time.Hour}
	entries := runOnce(t, p)
	var msgs []string
	dropped := int64(0)
	for _, e := range entries {
		if d, ok := e.ContextMap()["dropped"]; ok {
			dropped += d.(int64)
			continue
		}
		msgs = append(msgs, e.Message)
	}
	want := []string{"01234567", "89abcdef", "ghij", "x 0", "x 1", "x 2", "x 3", "x 4", "x 5", "x 6"}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Errorf("entries = %q, want %q", msgs, want)
	}
	if dropped != 43 {
		t.Errorf("dropped = %d, want 43", dropped)
	}
}

func TestProgramWritesItsOwnFilesWhenTheSpecSaysSo(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := shell(`echo to-file; echo to-file-too >&2`)
	p.Stdout, p.Stderr = f, f
	if entries := runOnce(t, p); len(entries) != 0 {
		t.Errorf("%d entries logged, want none", len(entries))
	}
	b, err := os.ReadFile(f.Name())
	if err != nil || string(b) != "to-file\nto-file-too\n" {
		t.Fatalf("file holds %q (%v)", b, err)
	}
}

func TestOutputGoesToTheTreesSlogLoggerToo(t *testing.T) {
	var buf strings.Builder
	h := slog.NewTextHandler(&lockedWriter{w: &buf}, nil)
	exited := make(chan struct{})
	sup := supervisortest.New(t, "root",
		supervisor.WithSlog(slog.New(h)),
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventExited {
				close(exited)
			}
		})),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: shell(`echo hello`), Restart: policy.Transient}),
	)
	stop, _ := runTree(t, sup)
	<-exited
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `msg=hello path=root/prog stream=stdout pid=`) {
		t.Errorf("slog output lacks the line:\n%s", buf.String())
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

var _ = context.Background

func TestSIGKILLAfterTheStopTimeoutIsLogged(t *testing.T) {
	// The background member ignores SIGTERM: once the program has exited,
	// the stop timeout's SIGKILL ends it, and a warning says so.
	p := shell(`mkfifo "$1"; (trap '' TERM; echo > "$1"; exec sleep 60) & read x < "$1"; exit 0`,
		filepath.Join(t.TempDir(), "trapped"))
	p.StopTimeout = 10 * time.Millisecond
	core, logs := observer.New(zapcore.WarnLevel)
	exited := make(chan struct{})
	sup := supervisortest.New(t, "root",
		supervisor.WithLogger(zap.New(core)),
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventExited {
				close(exited)
			}
		})),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: p, Restart: policy.Transient}),
	)
	stop, _ := runTree(t, sup)
	<-exited
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	warned := logs.FilterMessageSnippet("SIGKILL to it").FilterField(zap.String("path", "root/prog")).Len()
	if warned != 1 {
		t.Fatalf("%d warnings about the SIGKILL, want 1; logged: %v", warned, logs.All())
	}
}
