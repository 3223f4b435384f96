package supervisor_test

// Tests of the messages users read: escalation texts and counts, the
// restarts a child shows, the errors of Add, Remove and Restart, name
// validation and the stuck report of a second Run.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

func TestEscalationErrorText(t *testing.T) {
	boom := errors.New("dial tcp: connection refused")
	base := supervisor.EscalationError{Supervisor: "root/db", Child: "root/db/pool-3", Origin: "root/db/pool-3",
		Period: 5 * time.Second, Err: boom}
	with := func(reason string, restarts int, blocked string) *supervisor.EscalationError {
		e := base
		e.Reason, e.Restarts, e.Blocked = reason, restarts, blocked
		return &e
	}
	tests := []struct {
		err  *supervisor.EscalationError
		want string
	}{
		{with("intensity", 3, ""), "root/db gave up: 3 restarts in 5s, then root/db/pool-3 failed again: dial tcp: connection refused"},
		{with("intensity", 1, ""), "root/db gave up: 1 restart in 5s, then root/db/pool-3 failed again: dial tcp: connection refused"},
		{with("intensity", 0, ""), "root/db gave up: 0 restarts in 5s, then root/db/pool-3 failed: dial tcp: connection refused"},
		{with("backoff", 4, ""), "root/db gave up: 4 consecutive restarts, then root/db/pool-3 failed again: dial tcp: connection refused"},
		{with("backoff", 0, ""), "root/db gave up: 0 consecutive restarts, then root/db/pool-3 failed: dial tcp: connection refused"},
		{with("decider", 2, ""), "root/db gave up: decider said escalate when root/db/pool-3 failed: dial tcp: connection refused"},
		{with("decider-failed", 0, ""), "root/db gave up: decider failed when root/db/pool-3 failed: dial tcp: connection refused"},
		{with("stuck", 1, "root/db/cache"), "root/db gave up: restart needs the slot of stuck child root/db/cache when root/db/pool-3 failed: dial tcp: connection refused"},
		{with("", 0, ""), "root/db gave up when root/db/pool-3 failed: dial tcp: connection refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("reason %q, %d restarts:\n got  %q\n want %q", tt.err.Reason, tt.err.Restarts, got, tt.want)
		}
	}
	// A nested escalation names the origin and the leaf's text once.
	outer := &supervisor.EscalationError{Supervisor: "root", Child: "root/db", Origin: "root/db/pool-3",
		Reason: "intensity", Restarts: 0, Period: time.Minute, Err: with("intensity", 3, "")}
	if got, want := outer.Error(), "root gave up: 0 restarts in 1m0s, then root/db/pool-3 failed: dial tcp: connection refused"; got != want {
		t.Errorf("nested:\n got  %q\n want %q", got, want)
	}
}

// MaxRestarts 0 gives up on the first failure having made no restart, and
// says so; a backoff's MaxAttempts counts the restarts it allowed.
func TestEscalationCountsRestartsMade(t *testing.T) {
	t.Run("max_restarts_0", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := rsNewActor(new(rsLog), "x")
			sup := rsNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: 5 * time.Second}),
				supervisor.WithChildren(supervisor.Child{Name: "x", Actor: w}))
			run := rsStart(t, sup)
			w.fail(errRsBoom)
			err := run.wait()
			esc := rsEscalation(t, err)
			if esc.Restarts != 0 || w.incarnations() != 1 {
				t.Errorf("Restarts = %d after %d incarnations, want 0 after 1", esc.Restarts, w.incarnations())
			}
			if want := "root gave up: 0 restarts in 5s, then root/x failed: boom"; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	})
	t.Run("max_attempts_1", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := rsNewActor(new(rsLog), "x")
			w.onStart = rsFailAtOnce(errRsBoom)
			sup := rsNew(t, "root", supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
				supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: time.Second, MaxAttempts: 1}),
				supervisor.WithJitter(func() float64 { return 0 }),
				supervisor.WithChildren(supervisor.Child{Name: "x", Actor: w}))
			err := rsStart(t, sup).wait()
			esc := rsEscalation(t, err)
			if esc.Reason != "backoff" || esc.Restarts != 1 || w.incarnations() != 2 {
				t.Errorf("%s escalation with Restarts %d after %d incarnations, want backoff, 1 after 2", esc.Reason, esc.Restarts, w.incarnations())
			}
			if want := "root gave up: 1 consecutive restart, then root/x failed again: boom"; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	})
}

// ChildInfo.Restarts, Snapshot's restarts and events count every restart
// of a child, also those a group restart caused; a manual Restart is not
// counted.
func TestChildRestartsCountGroupRestarts(t *testing.T) {
	tests := []struct {
		strategy policy.Strategy
		want     []int // restarts of A, B, C, D after B fails, then C
	}{
		{policy.OneForOne, []int{0, 1, 1, 0}},
		{policy.OneForAll, []int{2, 2, 2, 2}},
		{policy.RestForOne, []int{0, 1, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := new(rsRecorder)
				actors, specs := rsGroup(new(rsLog), false, "A", "B", "C", "D")
				sup := rsNew(t, "root", supervisor.WithStrategy(tt.strategy), supervisor.WithObserver(rec),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: time.Minute}),
					supervisor.WithChildren(specs...))
				run := rsStart(t, sup)
				actors["B"].fail(errRsBoom)
				synctest.Wait()
				actors["C"].fail(errRsBoom)
				synctest.Wait()
				check := func(what string, want []int) {
					t.Helper()
					infos := sup.Children()
					snap := sup.Snapshot().Children
					if len(infos) != len(want) || len(snap) != len(want) {
						t.Fatalf("%s: %d children, %d in the snapshot, want %d", what, len(infos), len(snap), len(want))
					}
					for i, c := range infos {
						if c.Restarts != want[i] || snap[i].Restarts != want[i] {
							t.Errorf("%s: %s has Restarts %d (snapshot %d), want %d", what, c.Name, c.Restarts, snap[i].Restarts, want[i])
						}
						if int(c.Incarnation) != want[i]+1 {
							t.Errorf("%s: %s is incarnation %d, want %d", what, c.Name, c.Incarnation, want[i]+1)
						}
					}
				}
				check("after two failures", tt.want)
				// The started event of each incarnation carries the count.
				for i, name := range []string{"A", "B", "C", "D"} {
					started := rec.of(supervisor.EventStarted, name)
					if last := started[len(started)-1]; last.Restarts != tt.want[i] {
						t.Errorf("last started event of %s has Restarts %d, want %d", name, last.Restarts, tt.want[i])
					}
				}
				if err := sup.Restart("A"); err != nil {
					t.Fatalf("Restart(A) = %v", err)
				}
				if info, _ := rsInfo(sup, "A"); info.Restarts != tt.want[0] {
					t.Errorf("after a manual Restart, A has Restarts %d, want %d (not counted)", info.Restarts, tt.want[0])
				}
				if err := run.stop(); err != nil {
					t.Fatalf("Run = %v", err)
				}
			})
		})
	}
}

func TestOpErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		blocker := func(name string) supervisor.Child {
			return supervisor.Child{Name: name, Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })}
		}
		inner := rsNew(t, "db", supervisor.WithMaxChildren(1), supervisor.WithChildren(blocker("a")))
		root := rsNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "db", Actor: inner}))
		var nilSup *supervisor.Supervisor

		type call struct {
			name string
			do   func() error
			op   string
			sup  string
			path string
			is   error
			text string
		}
		before := []call{
			{"Add before Run", func() error { return inner.Add(blocker("x")) }, "Add", "db", "db/x", supervisor.ErrNotRunning,
				"db: Add db/x: supervisor: not running"},
			{"Remove before Run", func() error { return inner.Remove("a") }, "Remove", "db", "db/a", supervisor.ErrNotRunning,
				"db: Remove db/a: supervisor: not running"},
			{"Restart on nil", func() error { return nilSup.Restart("a") }, "Restart", "", "a", supervisor.ErrNotConstructed,
				"Restart a: " + supervisor.ErrNotConstructed.Error()},
			{"Add on nil", func() error { return nilSup.Add(blocker("a")) }, "Add", "", "a", supervisor.ErrNotConstructed,
				"Add a: " + supervisor.ErrNotConstructed.Error()},
		}
		during := []call{
			{"Remove unknown", func() error { return inner.Remove("x") }, "Remove", "root/db", "root/db/x", supervisor.ErrUnknownChild,
				"root/db: Remove root/db/x: supervisor: unknown child"},
			{"Restart unknown", func() error { return root.Restart("x") }, "Restart", "root", "root/x", supervisor.ErrUnknownChild,
				"root: Restart root/x: supervisor: unknown child"},
			{"Add beyond MaxChildren", func() error { return inner.Add(blocker("b")) }, "Add", "root/db", "root/db/b", supervisor.ErrMaxChildren,
				"root/db: Add root/db/b: supervisor: too many children"},
			{"Remove with a control character", func() error { return root.Remove("a\nroot/b [forged]") }, "Remove", "root", "root/a\nroot/b [forged]",
				supervisor.ErrUnknownChild, `root: Remove "root/a\nroot/b [forged]": supervisor: unknown child`},
		}
		check := func(calls []call) {
			for _, c := range calls {
				err := c.do()
				var oe *supervisor.OpError
				if !errors.As(err, &oe) {
					t.Errorf("%s = %v (%T), want an *OpError", c.name, err, err)
					continue
				}
				if oe.Op != c.op || oe.Supervisor != c.sup || oe.Child != c.path || oe.Err != c.is || !errors.Is(err, c.is) {
					t.Errorf("%s = %+v, want {%s %s %s %v}", c.name, *oe, c.op, c.sup, c.path, c.is)
				}
				if err.Error() != c.text {
					t.Errorf("%s: Error() = %q, want %q", c.name, err.Error(), c.text)
				}
			}
		}
		check(before)
		run := rsStart(t, root)
		check(during)
		// A spec error stays a *ConfigError, as New's.
		var ce *supervisor.ConfigError
		if err := inner.Add(blocker("a")); !errors.As(err, &ce) || !errors.Is(err, supervisor.ErrDuplicateName) {
			t.Errorf("Add(a) again = %v, want a *ConfigError matching ErrDuplicateName", err)
		}
		if err := run.stop(); err != nil {
			t.Fatalf("Run = %v", err)
		}
		check([]call{{"Restart after Run", func() error { return root.Restart("db") }, "Restart", "root", "root/db", supervisor.ErrNotRunning,
			"root: Restart root/db: supervisor: not running"}})
	})
}

// Names are path segments that end up in logs and the text snapshot: they
// must be printable.
func TestNameValidation(t *testing.T) {
	tests := []struct {
		name   string
		ok     bool
		reason string // part of the ConfigError's Reason, when rejected
	}{
		{"pool-3", true, ""},
		{"worker 1", true, ""},
		{"données", true, ""},
		{"数据库", true, ""},
		{"a.b_c:d@e", true, ""},
		{"🙂", true, ""},
		{"\ufffd", true, ""}, // the replacement character itself is a printable symbol
		{"", false, "empty"},
		{"a/b", false, "/"},
		{"a\nb", false, "printable"},
		{"a\rb", false, "printable"},
		{"a\tb", false, "printable"},
		{"\x00", false, "printable"},
		{"\x1b[31mred", false, "printable"},
		{"a\u0085b", false, "printable"}, // NEL, a C1 control
		{"a\u2028b", false, "printable"}, // line separator
		{"a\u200bb", false, "printable"}, // zero-width space (format)
		{"a\u202eb", false, "printable"}, // right-to-left override (format)
		{"\ufeffa", false, "printable"},  // byte order mark (format)
		{"a\u00a0b", false, "printable"}, // no-break space
		{"a\u3000b", false, "printable"}, // ideographic space
		{"\ue000", false, "printable"},   // private use
		{"a\xffb", false, "UTF-8"},
		{"\xc3", false, "UTF-8"},         // truncated sequence
		{"\xed\xa0\x80", false, "UTF-8"}, // an encoded surrogate
	}
	work := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	for _, tt := range tests {
		check := func(what, field string, err error) {
			t.Helper()
			if tt.ok {
				if err != nil {
					t.Errorf("%s(%q) = %v, want nil", what, tt.name, err)
				}
				return
			}
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) || ce.Field != field || !strings.Contains(ce.Reason, tt.reason) {
				t.Errorf("%s(%q) = %v, want a *ConfigError for %s saying %q", what, tt.name, err, field, tt.reason)
				return
			}
			if msg := err.Error(); !printableASCII(msg) {
				t.Errorf("%s(%q): Error() = %q is not plain printable text", what, tt.name, msg)
			}
		}
		_, err := supervisor.New(tt.name)
		check("New", "Name", err)
		_, err = supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: tt.name, Actor: work}))
		check("New with Child.Name", "Child.Name", err)
	}
	// Add validates as New does.
	synctest.Test(t, func(t *testing.T) {
		sup := rsNew(t, "root")
		run := rsStart(t, sup)
		var ce *supervisor.ConfigError
		if err := sup.Add(supervisor.Child{Name: "x\n2024-01-01 ERROR forged", Actor: work}); !errors.As(err, &ce) || ce.Field != "Child.Name" {
			t.Errorf("Add with a newline in the name = %v, want a *ConfigError for Child.Name", err)
		}
		if n := len(sup.Children()); n != 0 {
			t.Errorf("%d children after a rejected Add, want 0", n)
		}
		if err := run.stop(); err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
}

// printableASCII reports whether s holds no control characters and only
// ASCII, as a quoted name does (non-ASCII letters are fine in names, but
// the rejected ones of this test are all quoted to escapes).
func printableASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// A second Run stopped while a stuck goroutine of the first is alive
// reports it again with how long the first run waited for it, not "after
// 0s" nor its age.
func TestStuckReportOfAnEarlierRunKeepsItsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		sup := ssNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "b", Actor: ssStuckWorker(release), ShutdownTimeout: 2 * time.Second},
		))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		if err := <-done; !strings.Contains(fmtErr(err), "root/b (after 2s)") {
			t.Errorf("first Run = %v, want root/b stuck after 2s", err)
		}
		time.Sleep(time.Minute) // the report keeps the wait, not the age
		ctx, cancel = context.WithCancel(t.Context())
		done = ssGo(ctx, sup)
		ssRunning(t, done)
		cancel()
		err := ssDone(t, done)
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 {
			t.Fatalf("second Run = %v, want a *StuckError with one stuck child", err)
		}
		if se.Stuck[0].Path != "root/b" || se.Stuck[0].Waited != 2*time.Second {
			t.Errorf("stuck report %+v, want root/b waited 2s", se.Stuck[0])
		}
		want := "root: stuck children did not stop: root/b (after 2s)"
		if err.Error() != want {
			t.Errorf("second Run: Error() = %q, want %q", err.Error(), want)
		}
		close(release)
		synctest.Wait()
	})
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
