package daemon_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// A STATUS= line is one line of the sd_notify protocol, whose assignments
// are separated by newlines: whatever control characters a child's error
// text or panic value holds, none reaches the line, and the text is still
// readable there.
func TestStatusLineHoldsNoControlCharacterWhateverTheChildsErrorHolds(t *testing.T) {
	const text = "bad config\nline 2\x1b[31m red\x00 nul\u2028end"
	tests := []struct {
		name  string
		child supervisor.Child
	}{
		{"escalation", supervisor.Child{Name: "db",
			Actor: actor.Func(func(context.Context) error { return errors.New(text) })}},
		{"panic", supervisor.Child{Name: "db",
			Actor: actor.Func(func(context.Context) error { panic(text) })}},
		{"failed start", supervisor.Child{Name: "db", WaitReady: true,
			Actor: actor.Func(func(context.Context) error { return errors.New(text) })}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				root := newRoot(t, supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second}),
					supervisor.WithChildren(tt.child))
				h := start(t.Context(), root)
				synctest.Wait()
				if r := h.result(t); r.code != daemon.ExitFailure {
					t.Fatalf("Run = %d, %v; want 1", r.code, r.err)
				}
				statuses := 0
				for _, n := range h.notes.all() {
					if !strings.HasPrefix(n, "STATUS=") {
						continue
					}
					statuses++
					if strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' }) {
						t.Errorf("notification %q holds a control character", n)
					}
					if !strings.Contains(n, "bad config") || !strings.Contains(n, "end") {
						t.Errorf("notification %q does not carry the child's text", n)
					}
				}
				if statuses == 0 {
					t.Errorf("no STATUS= line in %q", h.notes.all())
				}
			})
		})
	}
}
