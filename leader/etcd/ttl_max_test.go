package etcdleader_test

import (
	"errors"
	"testing"
	"time"

	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"github.com/arbor-go/arbor/supervisor"
)

// A TTL beyond etcd's largest lease TTL (9,000,000,000 seconds) is refused
// at construction: etcd would refuse every grant, and the candidate would
// campaign forever without a chance to win.
func TestNewRejectsATTLAboveEtcdsLargestLease(t *testing.T) {
	cli := newClient(t, "127.0.0.1:1") // never used: no request is made
	ttl := 9_000_000_001 * time.Second
	_, err := etcdleader.New(etcdleader.Config{Client: cli, Prefix: "/e/", TTL: ttl, RenewDeadline: ttl / 2})
	var ce *supervisor.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Config.TTL" {
		t.Fatalf("New = %v, want a *ConfigError for Config.TTL", err)
	}
}
