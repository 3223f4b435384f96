package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
)

// slogEntry is one decoded slog JSON entry.
type slogEntry = map[string]any

// slogEntries decodes the JSON lines of a slog.JSONHandler.
func slogEntries(t *testing.T, out string) []slogEntry {
	t.Helper()
	var all []slogEntry
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e slogEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q is not a JSON entry: %v", line, err)
		}
		all = append(all, e)
	}
	return all
}

// With WithSlog and no WithLogger, the daemon's entries go through slog,
// with the same messages, levels and fields, the stuck report included.
func TestSlogGetsTheDaemonsEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer // written by one handler, read after Run returned
		l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		release := releasedAtEnd(t)
		root := newRoot(t, supervisor.WithSlog(l), supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", Actor: stubborn(release), ShutdownTimeout: time.Second}))
		sigs := make(chan os.Signal, 1)
		done := make(chan int, 1)
		go func() {
			code, _ := daemon.Run(context.Background(), root, daemon.WithSlog(l), daemon.WithSignals(sigs),
				daemon.WithWatchdog(0), daemon.WithNotifier(&notes{}))
			done <- code
		}()
		synctest.Wait()
		sigs <- syscall.SIGTERM
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if code := <-done; code != daemon.ExitFailure {
			t.Fatalf("Run = %d, want 1 (a stuck child)", code)
		}
		var final slogEntry
		msgs := map[string]bool{}
		for _, e := range slogEntries(t, buf.String()) {
			msgs[e["msg"].(string)] = true
			if e["msg"] == "stopped with an error" {
				final = e
			}
		}
		for _, m := range []string{"tree ready", "signal received; shutting down (send it again to exit at once)"} {
			if !msgs[m] {
				t.Errorf("no %q entry through slog", m)
			}
		}
		if final == nil || final["level"] != "ERROR" || !strings.Contains(final["error"].(string), "root/stubborn") {
			t.Fatalf("final entry %v: want one at ERROR naming root/stubborn", final)
		}
		stuck, _ := final["stuck"].([]any)
		if len(stuck) != 1 || stuck[0].(map[string]any)["path"] != "root/stubborn" ||
			!strings.Contains(stuck[0].(map[string]any)["stack"].(string), "stubborn") {
			t.Errorf("stuck report %v: want root/stubborn with its stack", final["stuck"])
		}
	})
}
