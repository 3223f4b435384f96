package testutil_test

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/arbor-go/arbor/internal/testutil"
)

// HookCore sees every entry, of every level, with its message.
func TestHookCoreSeesEveryEntry(t *testing.T) {
	var got []string
	log := zap.New(&testutil.HookCore{OnWrite: func(e zapcore.Entry) { got = append(got, e.Level.String()+" "+e.Message) }})
	log.Debug("one")
	log.With(zap.Int("k", 1)).Error("two")
	if len(got) != 2 || got[0] != "debug one" || got[1] != "error two" {
		t.Errorf("entries %q", got)
	}
}
