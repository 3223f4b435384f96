package etcdleader_test

import (
	"errors"
	"testing"
	"time"

	"github.com/arbor-go/arbor/leader"
	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"github.com/arbor-go/arbor/supervisor"
)

// The etcd client sends a lease's keepalive a third of the TTL after the
// last reply, from a loop that wakes every 500ms: a healthy lease may go
// TTL/3 + 0.5s between two replies. A renew deadline within that gap would
// treat every term as lost while nothing is wrong; New refuses it, naming
// the field and matching leader.ErrBounds.
func TestNewRejectsARenewDeadlineThatHealthyKeepalivesMiss(t *testing.T) {
	cli := newClient(t, "127.0.0.1:1") // never used: no request is made
	for _, r := range []time.Duration{time.Second, 2 * time.Second, 2500 * time.Millisecond} {
		_, err := etcdleader.New(etcdleader.Config{Client: cli, Prefix: "/e/", TTL: 6 * time.Second, RenewDeadline: r})
		var ce *supervisor.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Config.RenewDeadline" || !errors.Is(err, leader.ErrBounds) {
			t.Errorf("TTL 6s, renew deadline %v: New = %v, want a *ConfigError for Config.RenewDeadline matching ErrBounds", r, err)
		}
	}
	if _, err := etcdleader.New(etcdleader.Config{Client: cli, Prefix: "/e/", TTL: 6 * time.Second, RenewDeadline: 2600 * time.Millisecond}); err != nil {
		t.Errorf("TTL 6s, renew deadline 2.6s: %v", err)
	}
}
