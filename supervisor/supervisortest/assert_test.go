package supervisortest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/supervisor"
)

// fakeTB records what the helpers report instead of failing the test.
type fakeTB struct {
	errors   []string
	fatal    bool
	cleanups []func()
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Cleanup(fn func())         { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(s string, a ...any) { f.errors = append(f.errors, fmt.Sprintf(s, a...)) }
func (f *fakeTB) Fatalf(s string, a ...any) {
	f.Errorf(s, a...)
	f.fatal = true
}

// cleanup runs the registered cleanups, last first, as testing does.
func (f *fakeTB) cleanup() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

var _ TB = (*testing.T)(nil)

func TestSubsequence(t *testing.T) {
	got := []string{"a", "b", "c", "b"}
	for _, c := range []struct {
		want []string
		ok   bool
	}{
		{nil, true},
		{[]string{"a", "c"}, true},
		{[]string{"b", "b"}, true},
		{[]string{"a", "b", "c", "b"}, true},
		{[]string{"c", "a"}, false},
		{[]string{"d"}, false},
		{[]string{"a", "b", "c", "b", "b"}, false},
	} {
		if ok := Subsequence(got, c.want); ok != c.ok {
			t.Errorf("Subsequence(%q, %q) = %v, want %v", got, c.want, ok, c.ok)
		}
	}
}

func TestAssertOrder(t *testing.T) {
	got := []string{"started root/a", "started root/b", "stopped root/b", "stopped root/a"}
	var ok fakeTB
	if !AssertOrder(&ok, got, "started root/a", "stopped root/a") || len(ok.errors) != 0 {
		t.Fatalf("AssertOrder failed on a subsequence: %q", ok.errors)
	}
	var bad fakeTB
	if AssertOrder(&bad, got, "started root/a", "stopped root/a", "stopped root/b") {
		t.Fatal("AssertOrder accepted an order that did not happen")
	}
	if len(bad.errors) != 1 || bad.fatal ||
		!strings.HasPrefix(bad.errors[0], `"stopped root/b" not found after "stopped root/a", in order:`) {
		t.Fatalf("report: %q (fatal %v)", bad.errors, bad.fatal)
	}
	var first fakeTB
	AssertOrder(&first, nil, "x")
	if len(first.errors) != 1 || !strings.HasPrefix(first.errors[0], `"x" not found from the start`) {
		t.Fatalf("report: %q", first.errors)
	}
}

func TestAssertEqual(t *testing.T) {
	var ok fakeTB
	if !AssertEqual(&ok, []string{"a", "b"}, "a", "b") || !AssertEqual(&ok, nil) || len(ok.errors) != 0 {
		t.Fatalf("AssertEqual failed on equal sequences: %q", ok.errors)
	}
	var bad fakeTB
	if AssertEqual(&bad, []string{"a", "b"}, "a") || len(bad.errors) != 1 || bad.fatal {
		t.Fatalf("AssertEqual on different sequences: %q", bad.errors)
	}
}

func TestRecorderAssertOrder(t *testing.T) {
	r := NewRecorder()
	r.Observe(supervisor.Event{Kind: supervisor.EventStarted, Path: "root/a"})
	r.Observe(supervisor.Event{Kind: supervisor.EventStopped, Path: "root/a"})
	var f fakeTB
	if !r.AssertOrder(&f, "started root/a", "stopped root/a") || r.AssertOrder(&f, "stopped root/a", "started root/a") {
		t.Fatalf("Recorder.AssertOrder: %q", f.errors)
	}
}
