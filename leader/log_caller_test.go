package leader_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The leader package's own entries ("leader: ...") carry no caller or
// stack trace of its code, even with a logger that adds both (as
// zap.NewProduction does): they would name the package's internals.
func TestLeaderEntriesCarryNoCallerOrStackOfTheLibrary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		el := leadertest.NewElection(timing)
		tl := new(leadertest.Timeline)
		core, logs := observer.New(zapcore.DebugLevel)
		r := newReplica(t, el, "a", tl.Actor("a", 0),
			supervisor.WithLogger(zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.InfoLevel)))).start(t)
		synctest.Wait()
		el.Revoke()
		synctest.Wait()
		if err := r.run.Stop(); err != nil {
			t.Fatalf("Run = %v", err)
		}
		n := 0
		for _, e := range logs.All() {
			if !strings.HasPrefix(e.Message, "leader: ") {
				continue
			}
			n++
			if e.Caller.Defined || e.Stack != "" {
				t.Errorf("entry %q: caller %v, stack:\n%s", e.Message, e.Caller, e.Stack)
			}
		}
		if n == 0 {
			t.Fatalf("no leader entry in %v", logs.All())
		}
	})
}
