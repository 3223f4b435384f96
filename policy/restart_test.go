package policy_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
)

func TestShouldRestart(t *testing.T) {
	tests := []struct {
		typ   policy.RestartType
		class policy.ExitClass
		want  bool
	}{
		{policy.Permanent, policy.Normal, true},
		{policy.Permanent, policy.Shutdown, true},
		{policy.Permanent, policy.Abnormal, true},
		{policy.Transient, policy.Normal, false},
		{policy.Transient, policy.Shutdown, false},
		{policy.Transient, policy.Abnormal, true},
		{policy.Temporary, policy.Normal, false},
		{policy.Temporary, policy.Shutdown, false},
		{policy.Temporary, policy.Abnormal, false},
		// Unknown values: never restart an unknown type; an unknown class is
		// not abnormal for a Transient child.
		{policy.RestartType(3), policy.Abnormal, false},
		{policy.RestartType(255), policy.Normal, false},
		{policy.Transient, policy.ExitClass(3), false},
		{policy.Permanent, policy.ExitClass(200), true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%v", tt.typ, tt.class), func(t *testing.T) {
			if got := policy.ShouldRestart(tt.typ, tt.class); got != tt.want {
				t.Errorf("ShouldRestart(%v, %v) = %v, want %v", tt.typ, tt.class, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name  string
		err   error
		asked bool
		want  policy.ExitClass
	}{
		{"nil", nil, false, policy.Normal},
		{"error", boom, false, policy.Abnormal},
		{"unasked canceled", fmt.Errorf("wrapped: %w", errCanceled), false, policy.Abnormal},
		{"asked nil", nil, true, policy.Shutdown},
		{"asked error", boom, true, policy.Shutdown},
		{"asked canceled", errCanceled, true, policy.Shutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.Classify(tt.err, tt.asked); got != tt.want {
				t.Errorf("Classify(%v, %v) = %v, want %v", tt.err, tt.asked, got, tt.want)
			}
		})
	}
}

var errCanceled = errors.New("context canceled")

func TestEnumStrings(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{policy.Permanent, "permanent"},
		{policy.Transient, "transient"},
		{policy.Temporary, "temporary"},
		{policy.RestartType(3), "RestartType(3)"},
		{policy.RestartType(255), "RestartType(255)"},
		{policy.Normal, "normal"},
		{policy.Shutdown, "shutdown"},
		{policy.Abnormal, "abnormal"},
		{policy.ExitClass(3), "ExitClass(3)"},
		{policy.ExitClass(255), "ExitClass(255)"},
		{policy.OneForOne, "one_for_one"},
		{policy.OneForAll, "one_for_all"},
		{policy.RestForOne, "rest_for_one"},
		{policy.Strategy(3), "Strategy(3)"},
		{policy.Strategy(255), "Strategy(255)"},
		{policy.Restart, "restart"},
		{policy.Stop, "stop"},
		{policy.Escalate, "escalate"},
		{policy.Directive(3), "Directive(3)"},
		{policy.Directive(9), "Directive(9)"},
		{policy.Directive(255), "Directive(255)"},
		{policy.Never, "never"},
		{policy.AnySignificant, "any_significant"},
		{policy.AllSignificant, "all_significant"},
		{policy.AutoShutdown(3), "AutoShutdown(3)"},
		{policy.AutoShutdown(255), "AutoShutdown(255)"},
		{policy.Intensity{MaxRestarts: 3, Period: 5 * time.Second}, "3 restarts in 5s"},
		{policy.Intensity{MaxRestarts: 0, Period: time.Millisecond}, "0 restarts in 1ms"},
		{policy.Intensity{MaxRestarts: policy.Unlimited}, "unlimited restarts"},
		{policy.Intensity{MaxRestarts: policy.Unlimited, Period: time.Second}, "unlimited restarts"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%#v).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}

func TestZeroValues(t *testing.T) {
	if policy.RestartType(0) != policy.Permanent {
		t.Error("zero RestartType is not Permanent")
	}
	if policy.Strategy(0) != policy.OneForOne {
		t.Error("zero Strategy is not OneForOne")
	}
	if policy.Directive(0) != policy.Restart {
		t.Error("zero Directive is not Restart")
	}
	if policy.AutoShutdown(0) != policy.Never {
		t.Error("zero AutoShutdown is not Never")
	}
	if policy.DefaultIntensity != (policy.Intensity{MaxRestarts: 3, Period: 5 * time.Second}) {
		t.Errorf("DefaultIntensity = %v, want 3 restarts in 5s", policy.DefaultIntensity)
	}
	if err := policy.DefaultIntensity.Validate(); err != nil {
		t.Errorf("DefaultIntensity.Validate() = %v", err)
	}
}

func TestEnumValidate(t *testing.T) {
	type validator interface{ Validate() error }
	tests := []struct {
		v     validator
		field string // "" means valid
		value uint8
	}{
		{policy.Permanent, "", 0},
		{policy.Transient, "", 0},
		{policy.Temporary, "", 0},
		{policy.RestartType(3), "RestartType", 3},
		{policy.RestartType(255), "RestartType", 255},
		{policy.OneForOne, "", 0},
		{policy.OneForAll, "", 0},
		{policy.RestForOne, "", 0},
		{policy.Strategy(3), "Strategy", 3},
		{policy.Strategy(255), "Strategy", 255},
		{policy.Never, "", 0},
		{policy.AnySignificant, "", 0},
		{policy.AllSignificant, "", 0},
		{policy.AutoShutdown(3), "AutoShutdown", 3},
		{policy.AutoShutdown(255), "AutoShutdown", 255},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%T(%v)", tt.v, tt.v), func(t *testing.T) {
			err := tt.v.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			checkConfigErr(t, err, tt.field, tt.value)
			if !strings.Contains(err.Error(), fmt.Sprint(tt.value)) {
				t.Errorf("Error() = %q, does not name the value %d", err, tt.value)
			}
		})
	}
}

func TestConfigError(t *testing.T) {
	e := &policy.ConfigError{Field: "Child[db].ShutdownTimeout", Value: -3 * time.Second, Reason: "must be >= 0", Err: io.EOF}
	msg := e.Error()
	for _, want := range []string{"Child[db].ShutdownTimeout", "-3s", "must be >= 0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, missing %q", msg, want)
		}
	}
	if got := e.Unwrap(); got != io.EOF {
		t.Errorf("Unwrap() = %v, want io.EOF", got)
	}
	wrapped := fmt.Errorf("new: %w", e)
	if !errors.Is(wrapped, io.EOF) {
		t.Error("errors.Is(wrapped, io.EOF) = false, want true")
	}
	var ce *policy.ConfigError
	if !errors.As(wrapped, &ce) || ce != e {
		t.Errorf("errors.As did not find the *ConfigError")
	}

	// Errors built by Validate carry no sentinel.
	err := policy.Intensity{MaxRestarts: -5, Period: time.Second}.Validate()
	if !errors.As(err, &ce) {
		t.Fatalf("got %T, want *ConfigError", err)
	}
	if ce.Unwrap() != nil {
		t.Errorf("Unwrap() = %v, want nil", ce.Unwrap())
	}
	if got, want := err.Error(), "invalid Intensity.MaxRestarts -5: "; !strings.HasPrefix(got, want) {
		t.Errorf("Error() = %q, want prefix %q", got, want)
	}
}
