package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
)

func TestIntensityValidate(t *testing.T) {
	tests := []struct {
		in    policy.Intensity
		field string // "" means valid
		value any
	}{
		{policy.Intensity{MaxRestarts: 0, Period: time.Nanosecond}, "", nil},
		{policy.Intensity{MaxRestarts: 3, Period: 5 * time.Second}, "", nil},
		{policy.Intensity{MaxRestarts: policy.MaxRestartsCap, Period: time.Second}, "", nil},
		{policy.Intensity{MaxRestarts: 1, Period: policy.Infinity}, "", nil},
		// Unlimited ignores the period, even an invalid one.
		{policy.Intensity{MaxRestarts: policy.Unlimited}, "", nil},
		{policy.Intensity{MaxRestarts: policy.Unlimited, Period: -time.Second}, "", nil},
		{policy.Intensity{MaxRestarts: -2, Period: time.Second}, "Intensity.MaxRestarts", -2},
		{policy.Intensity{MaxRestarts: -1 << 40, Period: time.Second}, "Intensity.MaxRestarts", -1 << 40},
		{policy.Intensity{MaxRestarts: policy.MaxRestartsCap + 1, Period: time.Second}, "Intensity.MaxRestarts", policy.MaxRestartsCap + 1},
		{policy.Intensity{MaxRestarts: 1 << 40, Period: time.Second}, "Intensity.MaxRestarts", 1 << 40},
		// A bad MaxRestarts is reported before a bad Period.
		{policy.Intensity{MaxRestarts: -2, Period: 0}, "Intensity.MaxRestarts", -2},
		{policy.Intensity{MaxRestarts: 3, Period: 0}, "Intensity.Period", time.Duration(0)},
		{policy.Intensity{MaxRestarts: 0, Period: 0}, "Intensity.Period", time.Duration(0)},
		{policy.Intensity{MaxRestarts: 3, Period: -time.Nanosecond}, "Intensity.Period", -time.Nanosecond},
		{policy.Intensity{MaxRestarts: 3, Period: -5 * time.Second}, "Intensity.Period", -5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_in_%d", tt.in.MaxRestarts, tt.in.Period), func(t *testing.T) {
			err := tt.in.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			checkConfigErr(t, err, tt.field, tt.value)
		})
	}
	if policy.MaxRestartsCap != 65536 {
		t.Errorf("MaxRestartsCap = %d, want 65536 (documented)", policy.MaxRestartsCap)
	}
}

func TestWindowLimit(t *testing.T) {
	in := policy.Intensity{MaxRestarts: 7, Period: time.Minute}
	if got := policy.NewWindow(in).Limit(); got != in {
		t.Errorf("Limit() = %v, want %v", got, in)
	}
}
