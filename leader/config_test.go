package leader_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
)

// New checks the stop bound against the backend's timing, and every field,
// with a *supervisor.ConfigError naming it.
func TestNewRejectsBadConfigNamingTheField(t *testing.T) {
	work := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	el := leadertest.NewElection(timing)
	ok := leader.Config{Elector: el.Candidate("a"), Actor: work, StopBound: stopBound}
	for _, tc := range []struct {
		name   string
		edit   func(*leader.Config)
		field  string
		bounds bool
		reason string
	}{
		{"stop bound past TTL - R - margin", func(c *leader.Config) { c.StopBound = 1900 * time.Millisecond }, "Config.StopBound", true,
			"must be shorter than TTL 6s - renew deadline 3.5s - drift margin 600ms = 1.9s"},
		{"margin eats the room", func(c *leader.Config) { c.DriftMargin = time.Second }, "Config.StopBound", true, ""},
		{"zero stop bound", func(c *leader.Config) { c.StopBound = 0 }, "Config.StopBound", false, "must be positive"},
		{"negative margin", func(c *leader.Config) { c.DriftMargin = -1 }, "Config.DriftMargin", false, ""},
		{"negative hold", func(c *leader.Config) { c.Hold = -1 }, "Config.Hold", false, ""},
		{"renew deadline not below TTL", func(c *leader.Config) {
			c.Elector = leadertest.NewElection(leader.Timing{TTL: 6 * time.Second, RenewDeadline: 6 * time.Second}).Candidate("a")
		}, "Timing.RenewDeadline", true, ""},
		{"no TTL", func(c *leader.Config) { c.Elector = leadertest.NewElection(leader.Timing{}).Candidate("a") }, "Timing.TTL", true, ""},
		{"nil elector", func(c *leader.Config) { c.Elector = nil }, "Config.Elector", false, ""},
		{"nil actor", func(c *leader.Config) { c.Actor = nil }, "Config.Actor", false, ""},
		{"invalid actor", func(c *leader.Config) { c.Actor = actor.Func(nil) }, "Config.Actor", false, ""},
		{"unprintable name", func(c *leader.Config) { c.Election = "a\nb" }, "Config.Election", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			s, err := leader.New(cfg)
			var ce *supervisor.ConfigError
			if s != nil || !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("New = %v, %v; want a *ConfigError for %s", s, err, tc.field)
			}
			if errors.Is(err, leader.ErrBounds) != tc.bounds {
				t.Errorf("errors.Is(%v, ErrBounds) = %v, want %v", err, !tc.bounds, tc.bounds)
			}
			if !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("reason %q, want %q", ce.Reason, tc.reason)
			}
		})
	}
	if _, err := leader.New(ok); err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
}
