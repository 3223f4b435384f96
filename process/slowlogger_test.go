//go:build linux

package process_test

import (
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// stuckCore is a zap core whose writes of a program's output lines (the
// entries with a "stream" field) block until gate is closed: a logger
// that has stopped making progress (a full pipe, a hung remote sink).
type stuckCore struct {
	zapcore.LevelEnabler
	gate    chan struct{}
	entered chan struct{} // closed at the first blocked write
	once    *sync.Once
}

func (c stuckCore) With([]zapcore.Field) zapcore.Core { return c }
func (c stuckCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}
func (c stuckCore) Write(_ zapcore.Entry, fields []zapcore.Field) error {
	for _, f := range fields {
		if f.Key == "stream" {
			c.once.Do(func() { close(c.entered) })
			<-c.gate
		}
	}
	return nil
}
func (stuckCore) Sync() error { return nil }

// A logger that stops making progress must neither block the program
// (its output is dropped and counted, as the rate limit's is) nor keep
// the incarnation from returning once the program has been stopped and
// its output bound (WaitDelay) has passed: Wait must always return.
func TestAStuckLoggerNeitherBlocksTheProgramNorDelaysItsStop(t *testing.T) {
	core := stuckCore{LevelEnabler: zapcore.InfoLevel, gate: make(chan struct{}), entered: make(chan struct{}), once: new(sync.Once)}
	done := fifo(t)
	// 20000 lines, about 200 KB: far more than a pipe holds.
	p := shell(`i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done; echo written > "$1"; exec sleep 3600`, done)
	p.WaitDelay = 50 * time.Millisecond
	p.OutputLimit.Lines = -1
	sup := supervisortest.New(t, "root",
		supervisor.WithLogger(zap.New(core)),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: p, Restart: policy.Transient, ShutdownTimeout: time.Hour}),
	)
	stop, _ := runTree(t, sup)
	// Before the tree's stop (cleanups run last in, first out), so that a
	// failing test does not hang.
	var openGate sync.Once
	t.Cleanup(func() { openGate.Do(func() { close(core.gate) }) })
	<-core.entered
	// The program gets through all its output and says so, although
	// the logger is stuck on its first line.
	written := make(chan error, 1)
	go func() {
		f, err := os.Open(done)
		if err == nil {
			_, err = io.ReadAll(f)
			f.Close()
		}
		written <- err
	}()
	bound := testutil.Expiry(t)
	select {
	case err := <-written:
		if err != nil {
			t.Fatal(err)
		}
	case <-bound:
		// Unblock the program so that the stop can end it.
		go func() { f, _ := os.Open(done); io.Copy(io.Discard, f) }()
		t.Fatal("the program is still blocked writing its output at the test binary's deadline: a stuck logger blocks it")
	}
	// The stop returns although the logger is still stuck.
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-bound:
		t.Fatal("the tree's stop has not returned at the test binary's deadline: a stuck logger keeps the incarnation alive")
	}
}
