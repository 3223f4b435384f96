//go:build unix

package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEndToEnd builds the example and runs it three ways: stopped by
// SIGTERM, crash-looping until the tree gives up, and stopping by itself
// after -duration.
func TestEndToEnd(t *testing.T) {
	bin := buildExample(t)

	t.Run("sigterm", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := testutil.Context(t)
		defer cancel()
		// No chaos: nothing restarts, so readiness and the stop order are
		// exact.
		p := startExample(ctx, t, bin, "-addr", "127.0.0.1:0", "-chaos", "0", "-debug-addr", ":0", "-pprof")
		// The daemon writes its entries from a goroutine of its own, so its
		// "health server listening" comes before or after the server's
		// "listening": waitFor, which goes on from the line it matched,
		// would miss the one that came first.
		debug := "http://" + p.field(t, p.waitSeen(ctx, t, msgIs("health server listening")), "addr")
		addr := p.field(t, p.waitFor(ctx, t, msgIs("listening")), "addr")
		p.waitFor(ctx, t, msgPrefix("tree is up"))
		base := "http://" + addr

		// The daemon's own server, on loopback, with pprof.
		if !strings.HasPrefix(debug, "http://127.0.0.1:") {
			t.Errorf("-debug-addr :0 listens at %s, want loopback", debug)
		}
		if code, body := testutil.GetContext(ctx, t, debug+"/readyz"); code != http.StatusOK {
			t.Errorf("debug /readyz after ready: %d %q, want 200", code, body)
		}
		if code, body := testutil.GetContext(ctx, t, debug+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK ||
			!strings.Contains(body, "goroutine profile") {
			t.Errorf("debug /debug/pprof/goroutine: %d %.80q, want 200 and the profile", code, body)
		}

		if code, body := testutil.GetContext(ctx, t, base+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz: %d %q, want 200", code, body)
		}
		if code, body := testutil.GetContext(ctx, t, base+"/readyz"); code != http.StatusOK {
			t.Errorf("/readyz after ready: %d %q, want 200", code, body)
		}
		code, body := testutil.GetContext(ctx, t, base+"/tree.json")
		if code != http.StatusOK {
			t.Fatalf("/tree.json: %d %q", code, body)
		}
		var snap supervisor.Snapshot
		if err := json.Unmarshal([]byte(body), &snap); err != nil {
			t.Fatalf("/tree.json: %v in %q", err, body)
		}
		paths := treePaths(snap)
		for _, want := range []string{"example", "example/http", "example/pool", "example/pool/worker-1",
			"example/pool/worker-3", "example/flaky", "example/pipeline", "example/pipeline/producer",
			"example/pipeline/consumer", "example/ticker", "example/indexer"} {
			if !slices.Contains(paths, want) {
				t.Errorf("/tree.json lacks %s; has %v", want, paths)
			}
		}
		code, body = testutil.GetContext(ctx, t, base+"/tree")
		if code != http.StatusOK || !strings.Contains(body, "worker-1") || !strings.Contains(body, "consumer") {
			t.Errorf("/tree: %d %q, want 200 and the children's names", code, body)
		}

		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(ctx, t); code != 0 {
			t.Fatalf("exit status %d after SIGTERM, want 0; output:\n%s", code, p.output())
		}
		// Newest first: the root's children stop in reverse start order,
		// the HTTP server (started first) last; in the pipeline the
		// consumer goes before the producer, and both before the pipeline.
		stopped := p.stops(t)
		var rootStops []string
		for _, s := range stopped {
			if s.sup == "example" {
				rootStops = append(rootStops, s.path)
			}
		}
		wantRoot := []string{"example/indexer", "example/ticker", "example/pipeline", "example/flaky", "example/pool", "example/http"}
		if !slices.Equal(rootStops, wantRoot) {
			t.Errorf("root's children stopped in order %v, want %v", rootStops, wantRoot)
		}
		order := make([]string, len(stopped))
		for i, s := range stopped {
			order[i] = s.path
		}
		ci, pi, si := slices.Index(order, "example/pipeline/consumer"), slices.Index(order, "example/pipeline/producer"),
			slices.Index(order, "example/pipeline")
		if ci < 0 || pi < 0 || !(ci < pi && pi < si) {
			t.Errorf("pipeline stop order %v: want consumer, producer, then pipeline", order)
		}
		if !strings.Contains(p.output(), "stopped cleanly") {
			t.Errorf("no \"stopped cleanly\" line in:\n%s", p.output())
		}
	})

	t.Run("crash-loop", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := testutil.Context(t)
		defer cancel()
		p := startExample(ctx, t, bin, "-addr", "127.0.0.1:0", "-crash-loop")
		code := p.wait(ctx, t)
		if code == 0 {
			t.Fatalf("exit status 0 with -crash-loop, want non-zero; output:\n%s", p.output())
		}
		// The final error is logged once, by the daemon, last.
		var final []string
		for _, line := range p.lines {
			if msgIs("stopped with an error")(line) {
				final = append(final, line)
			}
		}
		if len(final) != 1 || final[0] != p.lines[len(p.lines)-1] {
			t.Fatalf("final error entries %q: want one, the last line", final)
		}
		if msg := p.field(t, final[0], "error"); !strings.HasPrefix(msg, "example gave up") ||
			!strings.Contains(msg, "example/pool/worker-1") {
			t.Errorf("final error %q: want the root's escalation naming example/pool/worker-1", msg)
		}
	})

	t.Run("second-signal", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := testutil.Context(t)
		defer cancel()
		// A long drain keeps the shutdown waiting, unready, until the
		// second signal comes (the budget must be longer than the drain).
		p := startExample(ctx, t, bin, "-addr", "127.0.0.1:0", "-chaos", "0", "-drain", "1m", "-shutdown-budget", "10m")
		addr := p.field(t, p.waitFor(ctx, t, msgIs("listening")), "addr")
		p.waitFor(ctx, t, msgPrefix("tree is up"))
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		p.waitFor(ctx, t, func(line string) bool {
			return msgIs("shutting down")(line) && strings.Contains(line, `"supervisor": "example"}`)
		})
		if code, body := testutil.GetContext(ctx, t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz while draining: %d %q, want 503", code, body)
		}
		if code, body := testutil.GetContext(ctx, t, "http://"+addr+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz while draining: %d %q, want 200", code, body)
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(ctx, t); code != 130 {
			t.Fatalf("exit status %d after a second SIGTERM, want 130; output:\n%s", code, p.output())
		}
	})

	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := testutil.Context(t)
		defer cancel()
		// The indexer hangs on its first tick: 1s after its last beat it
		// is found hung, logged with its stack, cancelled and restarted.
		p := startExample(ctx, t, bin, "-addr", "127.0.0.1:0", "-chaos", "0", "-hang", "1")
		line := p.waitFor(ctx, t, msgIs("hung: missed its liveness deadline; cancelled"))
		if path, msg := p.field(t, line, "path"), p.field(t, line, "error"); path != "example/indexer" || msg != "hung: no beat for 1s" {
			t.Errorf("hung entry for %q with error %q, want example/indexer, \"hung: no beat for 1s\"", path, msg)
		}
		p.waitFor(ctx, t, func(line string) bool {
			return msgIs("hung; restarting")(line) && strings.Contains(line, "example/indexer")
		})
		if !strings.Contains(p.output(), "main.waitForever") {
			t.Errorf("the hung entry's stack does not show the blocking frame; output:\n%s", p.output())
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(ctx, t); code != 0 {
			t.Fatalf("exit status %d after SIGTERM, want 0; output:\n%s", code, p.output())
		}
	})

	t.Run("duration", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := testutil.Context(t)
		defer cancel()
		start := time.Now()
		// The default chaos: a few restarts, never enough to give up in 2s.
		p := startExample(ctx, t, bin, "-addr", "127.0.0.1:0", "-duration", "2s")
		if code := p.wait(ctx, t); code != 0 {
			t.Fatalf("exit status %d with -duration 2s, want 0; output:\n%s", code, p.output())
		}
		if took := time.Since(start); took < 2*time.Second {
			t.Errorf("stopped after %v, before its -duration of 2s", took)
		}
		if !strings.Contains(p.output(), `context done; shutting down	{"cause": "context deadline exceeded"}`) ||
			!strings.Contains(p.output(), "stopped cleanly") {
			t.Errorf("no shutdown for the elapsed duration, or no \"stopped cleanly\" line, in:\n%s", p.output())
		}
	})
}

// buildExample builds the example into a temporary directory, with the
// race detector when the test runs under it.
func buildExample(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the example: %v", err)
	}
	bin := t.TempDir() + "/example"
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	ctx, cancel := testutil.Context(t)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// treePaths lists the paths of every node of a snapshot.
func treePaths(n supervisor.Snapshot) []string {
	out := []string{n.Path}
	for _, c := range n.Children {
		out = append(out, treePaths(c)...)
	}
	return out
}
