package etcdleader_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/arbor-go/arbor/leader"
	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"github.com/arbor-go/arbor/supervisor"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// New names the bad field; a renew deadline that does not fit the TTL
// matches leader.ErrBounds; leader.New checks the stop bound against the
// Elector's timing.
func TestNewRejectsBadConfigNamingTheField(t *testing.T) {
	cli := newClient(t, "127.0.0.1:1") // never used: no request is made
	ok := etcdleader.Config{Client: cli, Prefix: "/e/", TTL: 6 * time.Second, RenewDeadline: 3500 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		edit  func(*etcdleader.Config)
		field string
	}{
		{"nil client", func(c *etcdleader.Config) { c.Client = nil }, "Config.Client"},
		{"prefix without slash", func(c *etcdleader.Config) { c.Prefix = "/e" }, "Config.Prefix"},
		{"TTL below 2s", func(c *etcdleader.Config) { c.TTL = time.Second }, "Config.TTL"},
		{"TTL not whole seconds", func(c *etcdleader.Config) { c.TTL = 2500 * time.Millisecond }, "Config.TTL"},
		{"renew deadline at the TTL", func(c *etcdleader.Config) { c.RenewDeadline = c.TTL }, "Config.RenewDeadline"},
		{"negative retry delay", func(c *etcdleader.Config) { c.RetryDelay = -1 }, "Config.RetryDelay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := etcdleader.New(cfg)
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("New = %v, want a *ConfigError for %s", err, tc.field)
			}
		})
	}
	el, err := etcdleader.New(ok)
	if err != nil {
		t.Fatal(err)
	}
	_, err = leader.New(leader.Config{Elector: el, Actor: actorFunc(func(context.Context) error { return nil }), StopBound: 2 * time.Second})
	if !errors.Is(err, leader.ErrBounds) {
		t.Errorf("stop bound 2s with TTL 6s, renew deadline 3.5s: %v, want ErrBounds", err)
	}
}

// Fence and Txn refuse a context that carries no etcd term.
func TestFenceNeedsAnEtcdTerm(t *testing.T) {
	if _, err := etcdleader.Fence(context.Background()); !errors.Is(err, etcdleader.ErrNoTerm) {
		t.Errorf("Fence: %v, want ErrNoTerm", err)
	}
	var kv clientv3.KV
	if _, err := etcdleader.Txn(context.Background(), kv); !errors.Is(err, etcdleader.ErrNoTerm) {
		t.Errorf("Txn: %v, want ErrNoTerm", err)
	}
}
