package liblog_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/internal/liblog"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Zap drops the caller and the automatic stack of a production-like
// logger, and keeps its name, fields and an explicit stack.
func TestZapDropsCallerAndStack(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := liblog.Zap(zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.DebugLevel)).Named("n").With(zap.String("k", "v")))
	l.Error("boom")
	if ce := l.Check(zapcore.WarnLevel, "with stack"); ce != nil {
		ce.Stack = "explicit"
		ce.Write()
	}
	all := logs.All()
	if len(all) != 2 {
		t.Fatalf("%d entries, want 2", len(all))
	}
	for _, e := range all {
		if e.Caller.Defined || e.LoggerName != "n" || e.ContextMap()["k"] != "v" {
			t.Errorf("entry %q: caller %v, name %q, fields %v", e.Message, e.Caller, e.LoggerName, e.ContextMap())
		}
	}
	if all[0].Stack != "" || all[1].Stack != "explicit" {
		t.Errorf("stacks %q, %q; want none, then the explicit one", all[0].Stack, all[1].Stack)
	}
}

// Slog writes records with no source, and only at enabled levels.
func TestSlogHasNoSource(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true, Level: slog.LevelInfo}))
	liblog.Slog(context.Background(), l, slog.LevelDebug, "hidden")
	liblog.Slog(context.Background(), l, slog.LevelWarn, "shown", slog.Int("n", 1))
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) || !strings.Contains(out, `"n":1`) {
		t.Fatalf("output %q", out)
	}
	if strings.Contains(out, "liblog") {
		t.Errorf("output names the library's source: %q", out)
	}
}
