package supervisor_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// An observer_dropped event is the supervisor's event: Supervisor and Path
// are the path of the supervisor whose observer lost events, and Sink names
// that observer's queue; its log entry says the same.
func TestObserverDroppedNamesItsSupervisorAndTheSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := ssLogger(zapcore.WarnLevel)
		rec := &ssRec{}
		release := make(chan struct{})
		slow := supervisor.ObserverFunc(func(e supervisor.Event) {
			<-release
			rec.Observe(e)
		})
		sub := ssNew(t, "sub", supervisor.WithChildren(supervisor.Child{Name: "w",
			Actor: actor.Func(func(ctx context.Context) error {
				ssSleep(ctx, time.Second)
				return errors.New("boom")
			})}),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}))
		sup := ssNew(t, "root", supervisor.WithLogger(logger),
			supervisor.WithObserver(supervisor.ObserverFunc(func(supervisor.Event) {})),
			supervisor.WithObserver(slow), supervisor.WithObserverBuffer(2),
			supervisor.WithChildren(supervisor.Child{Name: "sub", Actor: sub}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(10*time.Second + 500*time.Millisecond)
		close(release)
		synctest.Wait()
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		n := 0
		for _, e := range rec.all() {
			if e.Kind != supervisor.EventObserverDropped {
				continue
			}
			n++
			if e.Supervisor != "root" || e.Path != "root" || e.Child != "" || e.Sink != "root/(observer 1)" || e.Dropped == 0 {
				t.Errorf("observer_dropped: Supervisor %q, Path %q, Child %q, Sink %q, Dropped %d; want root, root, \"\", root/(observer 1), > 0",
					e.Supervisor, e.Path, e.Child, e.Sink, e.Dropped)
			}
		}
		if n == 0 {
			t.Fatalf("no observer_dropped event in %q", rec.kinds())
		}
		// Every sink of root has a queue of 2 and may drop in the burst;
		// each report names root and its own sink.
		sinks := map[string]bool{"root/(logger)": true, "root/(observer 0)": true, "root/(observer 1)": true}
		entries := logs.FilterMessageSnippet("events dropped").All()
		slowReported := false
		for _, e := range entries {
			f := ssFields(e)
			sink, _ := f["sink"].(string)
			if f["supervisor"] != "root" || !sinks[sink] {
				t.Errorf("dropped entry fields %v, want supervisor root and one of its sinks", f)
			}
			slowReported = slowReported || sink == "root/(observer 1)"
		}
		if !slowReported {
			t.Fatalf("no log entry for the events root/(observer 1) dropped in %d entries", len(entries))
		}
	})
}

// The entries the library writes through zap carry neither the caller nor
// a stack trace of its own log goroutine, even with a logger that adds
// them (zap.NewProduction adds the caller, and a stack from Error; this
// one adds a stack from Warn). A panic's entry keeps the panic's own stack.
// The child's own logger (Logger(ctx)) still names the child's call site.
func TestLibraryZapEntriesCarryNoCallerOrStackOfTheLibrary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zapcore.DebugLevel)
		logger := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.WarnLevel))
		var mu sync.Mutex
		runs := map[string]int{}
		next := func(name string) int {
			mu.Lock()
			defer mu.Unlock()
			runs[name]++
			return runs[name]
		}
		sup := ssNew(t, "root", supervisor.WithLogger(logger),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 2, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "p", Actor: actor.Func(func(ctx context.Context) error {
					if next("p") == 1 {
						panicInChild()
					}
					<-ctx.Done()
					return errors.New("stopped with an error")
				})},
				supervisor.Child{Name: "db", Actor: actor.Func(func(ctx context.Context) error {
					supervisor.Logger(ctx).Info("db incarnation")
					if next("db") > 1 {
						time.Sleep(time.Second)
					}
					return errors.New("dial: refused")
				})},
			))
		err := sup.Run(t.Context())
		if !errors.As(err, new(*supervisor.EscalationError)) {
			t.Fatalf("Run = %v, want an escalation", err)
		}
		levels := map[zapcore.Level]int{}
		panics := 0
		for _, e := range logs.All() {
			if e.Message == "db incarnation" {
				if !e.Caller.Defined || !strings.HasSuffix(e.Caller.File, "sink_entries_test.go") {
					t.Errorf("child's own entry: caller %v, want its call site in this file", e.Caller)
				}
				continue
			}
			levels[e.Level]++
			if e.Caller.Defined {
				t.Errorf("entry %q (%v) carries the library's caller %s", e.Message, e.Level, e.Caller)
			}
			_, panicked := ssFields(e)["error"].(string)
			if panicked && strings.HasPrefix(ssFields(e)["error"].(string), "panic:") && e.Stack != "" {
				panics++
				if !strings.Contains(e.Stack, "panicInChild") {
					t.Errorf("panic entry %q: stack is not the panic's:\n%s", e.Message, e.Stack)
				}
				continue
			}
			if e.Stack != "" {
				t.Errorf("entry %q (%v) carries a stack of the library:\n%s", e.Message, e.Level, e.Stack)
			}
		}
		if levels[zapcore.WarnLevel] == 0 || levels[zapcore.ErrorLevel] == 0 || panics != 1 {
			t.Fatalf("entries by level %v, %d with a panic's stack; want warnings, errors and one panic", levels, panics)
		}
	})
}

// panicInChild panics; its name shows in the panic's stack.
//
//go:noinline
func panicInChild() { panic("boom in p") }

// The records the library writes through slog carry no source position
// (their PC is 0, so a handler with AddSource names no file of the
// library's log goroutine).
func TestLibrarySlogRecordsCarryNoSourceOfTheLibrary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &testutil.SlogRecorder{}
		first := true
		var mu sync.Mutex
		sup := ssNew(t, "root", supervisor.WithSlog(slog.New(h)),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
			supervisor.WithChildren(supervisor.Child{Name: "p", Actor: actor.Func(func(ctx context.Context) error {
				mu.Lock()
				again := !first
				first = false
				mu.Unlock()
				if again {
					<-ctx.Done()
					return nil
				}
				panicInChild()
				return nil
			})}))
		if err := sup.Run(t.Context()); err == nil {
			t.Fatal("Run = nil, want an escalation")
		}
		if len(h.Records()) == 0 {
			t.Fatal("no records")
		}
		for _, r := range h.Records() {
			if r.PC != 0 {
				t.Errorf("record %q has the library's source %+v", r.Message, r.Source())
			}
		}
	})
}
