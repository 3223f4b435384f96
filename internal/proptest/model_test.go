package proptest

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

var (
	userChecksOnce sync.Once
	userChecks     bool // -rapid.checks or RAPID_CHECKS was given: leave it alone
)

// setChecks sets rapid's number of cases for the next rapid.Check, unless
// the user chose one; under the race detector it uses raceN. raceN keeps
// the package's race run well inside go test's default 10-minute timeout
// at -count=5 on a busy 2-core machine (issue 17's "done" run): with half
// of n (4000, 4000 and 3000 cases) the five runs took 535s of the 600
// there, hence a quarter. The race detector needs interleavings more than
// cases for the model; the runs without it keep n.
func setChecks(n, raceN int) {
	userChecksOnce.Do(func() {
		userChecks = os.Getenv("RAPID_CHECKS") != ""
		flag.Visit(func(f *flag.Flag) { userChecks = userChecks || f.Name == "rapid.checks" })
	})
	if userChecks {
		return
	}
	if raceEnabled {
		n = raceN
	}
	if err := flag.Set("rapid.checks", strconv.Itoa(n)); err != nil {
		panic(err)
	}
}

// runCase generates a tree and a sequence of events, runs them against the
// real supervisor and the model, and compares them after every event.
func runCase(t *rapid.T, cfg genCfg, st *stats) {
	tree := genTree(t, cfg)
	h, err := startHarness(t, tree)
	if err != nil {
		t.Fatalf("building the tree: %v", err)
	}
	var history []string
	fail := func(what string, diffs []string) {
		lines, _ := h.tr.snapshot()
		t.Fatalf("after %s:\n%s\nevents:\n  %s\nreal trace:\n  %s", what, strings.Join(diffs, "\n"),
			strings.Join(history, "\n  "), strings.Join(lines, "\n  "))
	}
	defer func() {
		if !h.ran {
			h.stop()
		}
		st.add(h)
	}()
	h.beat()
	if d := h.compare(); len(d) > 0 {
		fail("start", d)
	}
	serial := 0
	n := rapid.IntRange(1, cfg.steps).Draw(t, "steps")
	for i := 0; i < n && !h.m.Done; i++ {
		what, err := step(t, h, cfg, &serial)
		history = append(history, what)
		st.events++
		if err != nil {
			fail(what, []string{err.Error()})
		}
		h.beat()
		if d := h.compare(); len(d) > 0 {
			fail(what, d)
		}
	}
	h.stop()
	history = append(history, "cancel root")
	if d := h.compare(); len(d) > 0 {
		fail("cancel root", d)
	}
}

func check(t *testing.T, cfg genCfg) {
	st := new(stats)
	rapid.Check(t, func(t *rapid.T) {
		rapid.SyncTest(t, func(t *rapid.T) { runCase(t, cfg, st) })
	})
	t.Logf("cases %d, events %d, root escalated %d, lines with escalate %d, autoshutdown %d, nested restarts %d, cancels %d, hangs %d",
		st.cases, st.events, st.rootEscalated, st.escalations, st.autos, st.nestedStarts, st.cancels, st.hangs)
}

// stats counts what the generated cases exercised.
type stats struct {
	cases, events, rootEscalated, escalations, autos, nestedStarts, cancels, hangs int
}

func (st *stats) add(h *harness) {
	st.cases++
	if h.m.Result.Escalated {
		st.rootEscalated++
	}
	for _, l := range h.m.Trace {
		switch {
		case strings.HasPrefix(l, "escalate "):
			st.escalations++
		case strings.HasPrefix(l, "autoshutdown "):
			st.autos++
		case strings.HasPrefix(l, "cancel "):
			st.cancels++
		case strings.HasPrefix(l, "hang "):
			st.hangs++
		case strings.HasPrefix(l, "start ") && strings.Count(l, "/") > 1 && !strings.HasSuffix(l, "#1"):
			st.nestedStarts++
		}
	}
}

// TestModelFlat: one supervisor, up to 5 leaves, long event sequences.
func TestModelFlat(t *testing.T) {
	setChecks(8000, 2000)
	check(t, genCfg{depth: 0, fan: 5, nodes: 5, steps: 40, dynamics: 0})
}

// TestModelNested: trees up to 4 levels deep.
func TestModelNested(t *testing.T) {
	setChecks(8000, 2000)
	check(t, genCfg{depth: 3, fan: 5, nodes: 16, steps: 30, dynamics: 5})
}

// TestModelDynamic: many Add and Remove calls among the failures.
func TestModelDynamic(t *testing.T) {
	setChecks(6000, 1500)
	check(t, genCfg{depth: 2, fan: 4, nodes: 8, steps: 30, dynamics: 30})
}
