package kubeleader_test

import (
	"errors"
	"math"
	"testing"
	"time"

	kubeleader "github.com/arbor-go/arbor/leader/kube"
	"github.com/arbor-go/arbor/supervisor"
)

// Durations the Lease cannot carry are refused at construction, naming
// the field: a LeaseDuration beyond the int32 seconds of
// spec.leaseDurationSeconds (it would wrap round, and the other candidates
// would see the Lease expired at once), and a RenewDeadline + RetryPeriod
// so large that its sum wraps round and slips past the comparison with the
// LeaseDuration.
func TestNewRejectsDurationsTheLeaseCannotCarry(t *testing.T) {
	store := newLeaseStore()
	base := kubeleader.Config{Client: store.clientset("a").CoordinationV1(), Namespace: "default", Name: "sched", Identity: "a",
		LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod}
	for _, tc := range []struct {
		name  string
		edit  func(*kubeleader.Config)
		field string
	}{
		{"lease beyond int32 seconds", func(c *kubeleader.Config) {
			c.LeaseDuration = (math.MaxInt32 + 1) * time.Second
			c.RenewDeadline, c.RetryPeriod = time.Hour, time.Minute
		}, "Config.LeaseDuration"},
		{"renewal sum wraps round", func(c *kubeleader.Config) {
			c.RenewDeadline, c.RetryPeriod = math.MaxInt64/10*6, math.MaxInt64/100*45 // 1.05 × MaxInt64
		}, "Config.LeaseDuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			_, err := kubeleader.New(cfg)
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("New = %v, want a *ConfigError for %s", err, tc.field)
			}
		})
	}
}
