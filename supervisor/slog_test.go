package supervisor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// ssSlog is a slog.Handler that records every entry at its level or above.
// Handlers made by WithAttrs share the record.
type ssSlog struct {
	level slog.Level
	attrs []slog.Attr
	out   *ssSlogOut
}

type ssSlogOut struct {
	mu      sync.Mutex
	entries []ssSlogEntry
}

// ssSlogEntry is one recorded entry; attrs holds each attribute's value
// as Value.Any returns it.
type ssSlogEntry struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

func ssNewSlog(level slog.Level) (*slog.Logger, *ssSlog) {
	h := &ssSlog{level: level, out: new(ssSlogOut)}
	return slog.New(h), h
}

func (h *ssSlog) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *ssSlog) Handle(_ context.Context, r slog.Record) error {
	e := ssSlogEntry{level: r.Level, msg: r.Message, attrs: map[string]any{}}
	for _, a := range h.attrs {
		e.attrs[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		e.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.out.mu.Lock()
	h.out.entries = append(h.out.entries, e)
	h.out.mu.Unlock()
	return nil
}

func (h *ssSlog) WithAttrs(as []slog.Attr) slog.Handler {
	return &ssSlog{level: h.level, attrs: append(slices.Clip(h.attrs), as...), out: h.out}
}

func (h *ssSlog) WithGroup(string) slog.Handler { return h }

func (h *ssSlog) all() []ssSlogEntry {
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	return slices.Clone(h.out.entries)
}

func (h *ssSlog) withMsg(msg string) []ssSlogEntry {
	var out []ssSlogEntry
	for _, e := range h.all() {
		if e.msg == msg {
			out = append(out, e)
		}
	}
	return out
}

// lines renders the entries as "LEVEL message map[fields]".
func (h *ssSlog) lines() []string {
	var out []string
	for _, e := range h.all() {
		out = append(out, fmt.Sprintf("%s %s %v", e.level, e.msg, e.attrs))
	}
	return out
}

// ssZapLines renders zap entries as ssSlog.lines does, the entry's stack
// as a "stack" field.
func ssZapLines(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.All() {
		f := e.ContextMap()
		if e.Stack != "" {
			f["stack"] = e.Stack
		}
		out = append(out, fmt.Sprintf("%s %s %v", e.Level.CapitalString(), e.Message, f))
	}
	return out
}

// TestSlogSameEntriesAsZap runs a tree that fails, restarts, panics,
// escalates in a nested supervisor and finally gives up, with a zap and a
// slog logger on the root, and checks that both got the same entries:
// levels, messages and fields, stacks included.
func TestSlogSameEntriesAsZap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		zl, logs := ssLogger(zapcore.DebugLevel)
		sl, h := ssNewSlog(slog.LevelDebug)
		panicked := false
		observerPanicked := false
		bad := supervisor.ObserverFunc(func(e supervisor.Event) {
			if !observerPanicked && e.Kind == supervisor.EventStarted {
				observerPanicked = true
				panic("observer bug")
			}
		})
		mid := ssNew(t, "mid", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 1, Period: time.Minute}),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: actor.Func(func(ctx context.Context) error {
				if !ssSleep(ctx, time.Second) {
					return nil
				}
				return errors.New("leaf down")
			})}))
		sup := ssNew(t, "root", supervisor.WithLogger(zl), supervisor.WithSlog(sl), supervisor.WithObserver(bad),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: 2, Period: time.Minute}),
			supervisor.WithChildren(
				supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
					<-ctx.Done()
					return errors.New("flush failed")
				})},
				supervisor.Child{Name: "p", Actor: actor.Func(func(ctx context.Context) error {
					if !panicked {
						panicked = true
						ssSleep(ctx, time.Second)
						panic("kaboom")
					}
					<-ctx.Done()
					return nil
				})},
				supervisor.Child{Name: "mid", Actor: mid},
			))
		err := sup.Run(t.Context())
		var esc *supervisor.EscalationError
		if !errors.As(err, &esc) {
			t.Fatalf("Run = %v, want an escalation", err)
		}
		zapLines, slogLines := ssZapLines(logs), h.lines()
		// Entries of root and of root/mid are queued under different locks:
		// their interleaving may differ between the two sinks.
		slices.Sort(zapLines)
		slices.Sort(slogLines)
		if !slices.Equal(zapLines, slogLines) {
			t.Fatalf("zap and slog entries differ:\nzap:\n%s\nslog:\n%s",
				strings.Join(zapLines, "\n"), strings.Join(slogLines, "\n"))
		}
		for _, msg := range []string{"started", "failed; restarting", "restart intensity exceeded",
			"giving up; escalating", "shutting down", "stopped", "stopped with an error", "observer panicked"} {
			if len(h.withMsg(msg)) == 0 {
				t.Errorf("no %q entry in %q", msg, h.lines())
			}
		}
		stacks := 0
		for _, e := range h.all() {
			if s, ok := e.attrs["stack"].(string); ok {
				stacks++
				if !strings.HasPrefix(s, "goroutine ") || !strings.Contains(s, "\n") {
					t.Errorf("%q entry: stack %q, want a goroutine's stack", e.msg, s)
				}
			}
		}
		if stacks != 2 { // p's panic and the observer's
			t.Errorf("%d slog entries with a stack, want 2", stacks)
		}
		for _, e := range h.withMsg("giving up; escalating") {
			if e.level != slog.LevelError {
				t.Errorf("escalation entry at %v, want ERROR", e.level)
			}
		}
	})
}

// TestSlogRateLimitAndFlush checks the failure-entry rate limit through
// slog, with the count of suppressed entries flushed when the supervisor
// stops within a period, carrying the child's fields.
func TestSlogRateLimitAndFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sl, h := ssNewSlog(slog.LevelInfo)
		sup := ssNew(t, "root", supervisor.WithSlog(sl),
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithLogRateLimit(2, time.Minute),
			supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
				if !ssSleep(ctx, time.Second) {
					return nil
				}
				return errors.New("boom")
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		time.Sleep(10*time.Second + 500*time.Millisecond) // failures at 1s, 2s, ..., 10s
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		if n := len(h.withMsg("failed; restarting")); n != 2 {
			t.Errorf("%d restart entries, want 2 (the burst)", n)
		}
		sup1 := h.withMsg("failure entries suppressed")
		if len(sup1) != 1 {
			t.Fatalf("suppressed entries = %v, want one, flushed at the stop", sup1)
		}
		a := sup1[0].attrs
		if sup1[0].level != slog.LevelWarn || a["suppressed"] != int64(8) || a["supervisor"] != "root" ||
			a["path"] != "root/a" || a["child"] != "a" || a["incarnation"] != uint64(10) || a["restarts"] != int64(10) {
			t.Errorf("suppressed entry = %v %v, want WARN, suppressed 8, the fields of root/a's 10th incarnation",
				sup1[0].level, a)
		}
	})
}

// TestSlogLoggerFromContext checks SlogLogger: the path attribute, the
// logger inherited by a nested supervisor (in its init hook too), each
// logger kind inherited on its own, and the discarding logger elsewhere.
func TestSlogLoggerFromContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		zl, logs := ssLogger(zapcore.DebugLevel)
		rootLog, rootH := ssNewSlog(slog.LevelInfo)
		ownLog, ownH := ssNewSlog(slog.LevelInfo)
		hello := func(name string) actor.Func {
			return func(ctx context.Context) error {
				supervisor.SlogLogger(ctx).Info("hello " + name)
				<-ctx.Done()
				return nil
			}
		}
		mid := ssNew(t, "mid", supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: hello("leaf")}),
			supervisor.WithInit(func(ctx context.Context, _ *supervisor.Supervisor) error {
				supervisor.SlogLogger(ctx).Info("init mid")
				return nil
			}))
		own := ssNew(t, "own", supervisor.WithSlog(ownLog),
			supervisor.WithChildren(supervisor.Child{Name: "leaf", Actor: hello("own-leaf")}))
		sup := ssNew(t, "root", supervisor.WithLogger(zl), supervisor.WithSlog(rootLog), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: hello("a")},
			supervisor.Child{Name: "mid", Actor: mid},
			supervisor.Child{Name: "own", Actor: own},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		for msg, want := range map[string]string{"hello a": "root/a", "hello leaf": "root/mid/leaf", "init mid": "root/mid"} {
			es := rootH.withMsg(msg)
			if len(es) != 1 || es[0].attrs["path"] != want {
				t.Errorf("root's slog entries %q = %v, want one with path %s", msg, es, want)
			}
		}
		if es := ownH.withMsg("hello own-leaf"); len(es) != 1 || es[0].attrs["path"] != "root/own/leaf" {
			t.Errorf("own's slog entries = %v, want hello own-leaf with path root/own/leaf", es)
		}
		if es := rootH.withMsg("hello own-leaf"); len(es) != 0 {
			t.Errorf("root's slog logger got %v from a supervisor with its own", es)
		}
		// root/own has a slog logger of its own but inherits root's zap one.
		var ownEvents, ownSlogEvents int
		for _, e := range logs.All() {
			if ssFields(e)["supervisor"] == "root/own" {
				ownEvents++
			}
		}
		for _, e := range ownH.all() {
			if e.attrs["supervisor"] == "root/own" {
				ownSlogEvents++
			}
		}
		if ownEvents == 0 || ownSlogEvents == 0 {
			t.Errorf("root/own's events: %d through the inherited zap logger, %d through its own slog logger; want both",
				ownEvents, ownSlogEvents)
		}
		for _, e := range rootH.all() {
			if e.attrs["supervisor"] == "root/own" {
				t.Errorf("root's slog logger got root/own's entry %v", e)
			}
		}
		if l := supervisor.SlogLogger(context.Background()); l == nil || l.Enabled(context.Background(), slog.LevelError) {
			t.Error("SlogLogger outside a supervisor: want a logger that discards")
		}
	})
}

// TestSlogLoggerWithoutSlog checks that SlogLogger discards under a
// supervisor that has only a zap logger.
func TestSlogLoggerWithoutSlog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		zl, _ := ssLogger(zapcore.DebugLevel)
		enabled := make(chan bool, 1)
		sup := ssNew(t, "root", supervisor.WithLogger(zl), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
				enabled <- supervisor.SlogLogger(ctx).Enabled(ctx, slog.LevelError)
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}
		if <-enabled {
			t.Error("SlogLogger without WithSlog is enabled, want a logger that discards")
		}
	})
}

// ssBadSlog is a slog handler that panics, calls runtime.Goexit or blocks
// in Handle.
type ssBadSlog struct {
	mode    string        // "panics", "goexits" or "blocks"
	release chan struct{} // blocks until closed
	handled chan struct{} // receives when Handle is entered, if not full
}

func (h *ssBadSlog) Enabled(context.Context, slog.Level) bool { return true }
func (h *ssBadSlog) Handle(context.Context, slog.Record) error {
	select {
	case h.handled <- struct{}{}:
	default:
	}
	switch h.mode {
	case "panics":
		panic("handler bug")
	case "goexits":
		runtime.Goexit()
	}
	<-h.release
	return nil
}
func (h *ssBadSlog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ssBadSlog) WithGroup(string) slog.Handler      { return h }

// TestSlogHandlerPanicsOrBlocks checks that a slog handler that panics,
// calls runtime.Goexit, or blocks forever, does not hold up supervision:
// restarts go on, and Run returns (with a blocked handler reported stuck
// after the budget). The flush of suppressed counts at the end calls the
// handler too.
func TestSlogHandlerPanicsOrBlocks(t *testing.T) {
	for _, mode := range []string{"panics", "goexits", "blocks"} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := &ssBadSlog{mode: mode, release: make(chan struct{}), handled: make(chan struct{}, 1)}
				sup := ssNew(t, "root", supervisor.WithSlog(slog.New(h)), supervisor.WithObserverBuffer(4),
					supervisor.WithShutdownBudget(5*time.Second),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
					supervisor.WithChildren(supervisor.Child{Name: "a", Actor: actor.Func(func(ctx context.Context) error {
						if !ssSleep(ctx, time.Second) {
							return nil
						}
						return errors.New("boom")
					})}))
				ctx, cancel := context.WithCancel(t.Context())
				done := ssGo(ctx, sup)
				time.Sleep(20*time.Second + 500*time.Millisecond)
				ssRunning(t, done)
				if info := ssInfo(t, sup, "a"); info.Restarts != 20 {
					t.Errorf("a restarted %d times in 20.5s, want 20", info.Restarts)
				}
				select {
				case <-h.handled:
				default:
					t.Error("the handler was never called")
				}
				cancel()
				time.Sleep(6 * time.Second) // past the budget
				err := ssDone(t, done)
				var se *supervisor.StuckError
				switch {
				case mode != "blocks" && err != nil:
					t.Errorf("Run = %v, want nil", err)
				case mode == "blocks" && (!errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/(slog)"):
					t.Errorf("Run = %v, want root/(slog) reported stuck", err)
				}
				close(h.release)
			})
		})
	}
}

// TestPanicStackReadable checks where a panic's stack goes: on lines of
// its own in zap's console encoder (not one escaped string), under
// "stacktrace" in zap's JSON encoder, and in the "stack" attribute of a
// slog JSON handler.
func TestPanicStackReadable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var console, zjson, sjson bytes.Buffer
		core := zapcore.NewTee(
			zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(&console), zapcore.InfoLevel),
			zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&zjson), zapcore.InfoLevel),
		)
		n := 0
		sup := ssNew(t, "root", supervisor.WithLogger(zap.New(core)),
			supervisor.WithSlog(slog.New(slog.NewJSONHandler(&sjson, nil))),
			supervisor.WithChildren(supervisor.Child{Name: "p", Actor: actor.Func(func(ctx context.Context) error {
				if n++; n == 1 {
					ssPanicHere()
				}
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := ssDone(t, done); err != nil {
			t.Fatalf("Run = %v", err)
		}

		lines := strings.Split(console.String(), "\n")
		i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "failed; restarting") })
		if i < 0 || i+2 >= len(lines) {
			t.Fatalf("no restart entry followed by a stack in the console output:\n%s", console.String())
		}
		if strings.Contains(lines[i], "goroutine") || strings.Contains(lines[i], `\n`) {
			t.Errorf("the entry's line carries the stack: %q", lines[i])
		}
		if !strings.HasPrefix(lines[i+1], "goroutine ") || !slices.ContainsFunc(lines[i+1:], func(l string) bool {
			return strings.Contains(l, "ssPanicHere")
		}) {
			t.Errorf("the stack does not follow on lines of its own:\n%s", console.String())
		}

		var entry map[string]any
		for l := range strings.Lines(zjson.String()) {
			if strings.Contains(l, "failed; restarting") {
				if err := json.Unmarshal([]byte(l), &entry); err != nil {
					t.Fatal(err)
				}
			}
		}
		if st, _ := entry["stacktrace"].(string); !strings.Contains(st, "ssPanicHere") || entry["stack"] != nil {
			t.Errorf("zap JSON entry = %v, want the stack under stacktrace", entry)
		}

		entry = nil
		for l := range strings.Lines(sjson.String()) {
			if strings.Contains(l, "failed; restarting") {
				if err := json.Unmarshal([]byte(l), &entry); err != nil {
					t.Fatal(err)
				}
			}
		}
		if st, _ := entry["stack"].(string); !strings.Contains(st, "ssPanicHere") || entry["path"] != "root/p" ||
			entry["level"] != "WARN" {
			t.Errorf("slog JSON entry = %v, want WARN, path root/p, the stack under stack", entry)
		}
	})
}

// ssPanicHere panics; its name shows in the stack.
//
//go:noinline
func ssPanicHere() { panic("kaboom") }
