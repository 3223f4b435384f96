package policy_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/arbor-go/arbor/policy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// checkConfigErr asserts that err is a *policy.ConfigError naming field and
// holding value (NaN matches NaN), and that its text names both.
func checkConfigErr(t *testing.T, err error, field string, value any) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want *policy.ConfigError for %s = %v", field, value)
	}
	var ce *policy.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want *policy.ConfigError", err, err)
	}
	if ce.Field != field {
		t.Errorf("Field = %q, want %q", ce.Field, field)
	}
	if !sameValue(ce.Value, value) {
		t.Errorf("Value = %#v (%T), want %#v (%T)", ce.Value, ce.Value, value, value)
	}
	if ce.Reason == "" {
		t.Errorf("Reason is empty")
	}
	if msg := err.Error(); !strings.Contains(msg, field) {
		t.Errorf("Error() = %q, does not name the field %q", msg, field)
	}
}

func sameValue(got, want any) bool {
	g, gok := got.(float64)
	w, wok := want.(float64)
	if gok && wok && math.IsNaN(g) && math.IsNaN(w) {
		return true
	}
	return reflect.DeepEqual(got, want)
}
