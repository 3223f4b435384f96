package daemon_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// runConfig runs daemon.Run with opts (and no signals, notifier or logger
// of the environment, so that it can run in a synctest bubble) and a context that is already done, so that a valid
// configuration returns at once. A panic in Run is returned as an error.
func runConfig(t *testing.T, opts ...daemon.Option) (code int, err error) {
	t.Helper()
	return runRoot(newRoot(t), opts...)
}

// runRoot is runConfig with root.
func runRoot(root *supervisor.Supervisor, opts ...daemon.Option) (code int, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	defer func() {
		if v := recover(); v != nil {
			code, err = -1, errors.New("Run panicked: "+strings.TrimSpace(toString(v)))
		}
	}()
	all := append([]daemon.Option{daemon.WithLogger(zap.NewNop()), daemon.WithSignals(make(chan os.Signal)),
		daemon.WithNotifier(daemon.NotifierFunc(func(string) error { return nil }))}, opts...)
	return daemon.Run(ctx, root, all...)
}

func toString(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "a non-string value"
}

// wantConfigError checks that Run refused its configuration with a
// *supervisor.ConfigError for field.
func wantConfigError(t *testing.T, code int, err error, field string) {
	t.Helper()
	var ce *supervisor.ConfigError
	if code != daemon.ExitFailure || !errors.As(err, &ce) || ce.Field != field {
		t.Fatalf("Run = %d, %v; want 1 and a *supervisor.ConfigError for %s", code, err, field)
	}
}

// A watchdog timeout below a millisecond would ping in a tight loop (or
// panic, below 2ns): WithWatchdog refuses it before the tree starts.
func TestWatchdogOptionBelowOneMillisecondIsRefused(t *testing.T) {
	for _, d := range []time.Duration{time.Nanosecond, 2 * time.Nanosecond, 8 * time.Nanosecond,
		time.Microsecond, time.Millisecond - 1} {
		code, err := runConfig(t, daemon.WithWatchdog(d))
		wantConfigError(t, code, err, "WithWatchdog")
	}
	// A millisecond is the least accepted.
	if code, err := runConfig(t, daemon.WithWatchdog(time.Millisecond)); code != daemon.ExitOK || err != nil {
		t.Fatalf("WithWatchdog(1ms): Run = %d, %v; want 0, nil", code, err)
	}
}

// WATCHDOG_USEC must fit a time.Duration and be at least a millisecond:
// a value whose microseconds overflow (and wrap around to nanoseconds, or
// to a negative duration) or one of a microsecond is refused as a
// malformed one is, not turned into a flood of pings.
func TestWatchdogFromEnvironmentOutOfRangeIsRefused(t *testing.T) {
	t.Setenv("WATCHDOG_PID", "")
	for _, v := range []string{
		"1",                    // 1µs
		"999",                  // just below 1ms
		"2066035336255469781",  // ×1000 wraps around to 8ns
		"9223372036854776",     // ×1000 is just above the largest time.Duration
		"9223372036854775807",  // the largest int64
		"18446744073709551615", // the largest uint64: does not parse as int
		"-5", "0", "soon",
	} {
		t.Setenv("WATCHDOG_USEC", v)
		code, err := runConfig(t)
		wantConfigError(t, code, err, "WATCHDOG_USEC")
		if !strings.Contains(err.Error(), `"`+v+`"`) {
			t.Errorf("WATCHDOG_USEC=%s: error %q does not quote the value", v, err)
		}
	}
	for _, v := range []string{"1000", "9223372036854775", "30000000"} {
		t.Setenv("WATCHDOG_USEC", v)
		if code, err := runConfig(t); code != daemon.ExitOK || err != nil {
			t.Errorf("WATCHDOG_USEC=%s: Run = %d, %v; want 0, nil", v, code, err)
		}
	}
}

// WATCHDOG_PID names the process the watchdog is for: another process's
// watchdog is not read, nor refused.
func TestWatchdogOfAnotherProcessIsIgnored(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", "1")
	if code, err := runConfig(t); code != daemon.ExitOK || err != nil {
		t.Errorf("Run = %d, %v; want 0, nil", code, err)
	}
	t.Setenv("WATCHDOG_PID", "one")
	code, err := runConfig(t)
	wantConfigError(t, code, err, "WATCHDOG_PID")
}
