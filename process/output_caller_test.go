//go:build linux

package process_test

import (
	"log/slog"
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A program's output lines (and the rate limit's report) are entries the
// library writes: they carry no caller or stack trace of process's own
// code in zap (with a logger that adds both, as zap.NewProduction does),
// and no source position in slog.
func TestOutputEntriesCarryNoCallerOrSourceOfTheLibrary(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	h := &testutil.SlogRecorder{}
	exited := make(chan struct{})
	p := shell(`i=1; while [ $i -le 20 ]; do echo "out $i"; i=$((i+1)); done`)
	p.OutputLimit = process.OutputLimit{Lines: 5, Per: 3600e9}
	sup := supervisortest.New(t, "root",
		supervisor.WithLogger(zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.InfoLevel))),
		supervisor.WithSlog(slog.New(h)),
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
	n := 0
	for _, e := range logs.All() {
		if _, ok := e.ContextMap()["pid"]; !ok {
			continue
		}
		n++
		if e.Caller.Defined || e.Stack != "" {
			t.Errorf("entry %q: caller %v, stack:\n%s", e.Message, e.Caller, e.Stack)
		}
	}
	if n == 0 {
		t.Fatal("no output entry")
	}
	m := 0
	for _, r := range h.Records() {
		pid := false
		r.Attrs(func(a slog.Attr) bool { pid = pid || a.Key == "pid"; return true })
		if !pid {
			continue
		}
		m++
		if r.PC != 0 {
			t.Errorf("record %q has the library's source %+v", r.Message, r.Source())
		}
	}
	if m == 0 {
		t.Fatal("no output record")
	}
}
