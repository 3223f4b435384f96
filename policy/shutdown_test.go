package policy_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
)

func TestCheckSignificant(t *testing.T) {
	modes := []policy.AutoShutdown{policy.Never, policy.AnySignificant, policy.AllSignificant}
	types := []policy.RestartType{policy.Permanent, policy.Transient, policy.Temporary}
	for _, mode := range modes {
		for _, typ := range types {
			for _, significant := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%v/%v", mode, typ, significant), func(t *testing.T) {
					err := mode.CheckSignificant(typ, significant)
					switch {
					case !significant:
						if err != nil {
							t.Fatalf("not significant: got %v, want nil", err)
						}
					case mode == policy.Never:
						checkConfigErr(t, err, "Significant", true)
						if !strings.Contains(err.Error(), "AutoShutdown") {
							t.Errorf("Error() = %q, want it to point at AutoShutdown", err)
						}
					case typ == policy.Permanent:
						checkConfigErr(t, err, "Significant", true)
						if !strings.Contains(err.Error(), "Permanent") {
							t.Errorf("Error() = %q, want it to point at Permanent", err)
						}
					default:
						if err != nil {
							t.Fatalf("got %v, want nil", err)
						}
					}
				})
			}
		}
	}
}

func TestValidateShutdownTimeout(t *testing.T) {
	const field = "Child[db].ShutdownTimeout"
	for _, d := range []time.Duration{0, 1, 5 * time.Second, policy.Infinity} {
		if err := policy.ValidateShutdownTimeout(field, d); err != nil {
			t.Errorf("ValidateShutdownTimeout(%v) = %v, want nil", d, err)
		}
	}
	for _, d := range []time.Duration{-1, -5 * time.Second, math.MinInt64} {
		err := policy.ValidateShutdownTimeout(field, d)
		checkConfigErr(t, err, field, d)
		if err != nil && !strings.Contains(err.Error(), d.String()) {
			t.Errorf("Error() = %q, want the value %v", err, d)
		}
	}
}

func TestShutdownTimeout(t *testing.T) {
	if policy.Infinity != math.MaxInt64 {
		t.Errorf("Infinity = %d, want MaxInt64", policy.Infinity)
	}
	if policy.DefaultShutdownTimeout != 5*time.Second {
		t.Errorf("DefaultShutdownTimeout = %v, want 5s", policy.DefaultShutdownTimeout)
	}
	tests := []struct {
		d     time.Duration
		isSup bool
		want  time.Duration
	}{
		{0, false, 5 * time.Second},
		{0, true, policy.Infinity},
		{time.Nanosecond, false, time.Nanosecond},
		{time.Nanosecond, true, time.Nanosecond},
		{30 * time.Second, false, 30 * time.Second},
		{30 * time.Second, true, 30 * time.Second},
		{policy.Infinity, false, policy.Infinity},
		{policy.Infinity, true, policy.Infinity},
	}
	for _, tt := range tests {
		if got := policy.ShutdownTimeout(tt.d, tt.isSup); got != tt.want {
			t.Errorf("ShutdownTimeout(%v, supervisor %v) = %v, want %v", tt.d, tt.isSup, got, tt.want)
		}
	}
}
