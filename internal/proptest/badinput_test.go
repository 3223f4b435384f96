package proptest

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

var blocker = testutil.Blocker

func okChild(name string) supervisor.Child { return supervisor.Child{Name: name, Actor: blocker} }

// want checks an error: a *ConfigError whose Field contains field, or an
// error matching target with errors.Is.
type want struct {
	field  string
	target error
	isNil  bool
}

func (w want) check(t *testing.T, err error) {
	t.Helper()
	switch {
	case w.isNil:
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	case w.target != nil:
		if !errors.Is(err, w.target) {
			t.Fatalf("got %v (%T), want errors.Is %v", err, err, w.target)
		}
	default:
		var ce *supervisor.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("got %v (%T), want *ConfigError", err, err)
		}
		if !strings.Contains(ce.Field, w.field) {
			t.Fatalf("ConfigError field %q (%v), want it to name %q", ce.Field, ce, w.field)
		}
		if ce.Error() == "" {
			t.Fatal("empty message")
		}
	}
}

func cfgErr(field string) want { return want{field: field} }
func is(target error) want     { return want{target: target} }

// noPanic calls f and fails the test if it panics.
func noPanic(t *testing.T, f func() error) (err error) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("panicked: %v", v)
		}
	}()
	return f()
}

func newWith(opts ...supervisor.Option) func() error {
	return func() error {
		s, err := supervisor.New("root", opts...)
		if err == nil && s == nil {
			return errors.New("nil supervisor without error")
		}
		return err
	}
}

func withChild(c supervisor.Child, opts ...supervisor.Option) func() error {
	return newWith(append(opts, supervisor.WithChildren(c))...)
}

func bo(b policy.Backoff) *policy.Backoff { return &b }

func TestBadInputConstruction(t *testing.T) {
	sig := func(r policy.RestartType) supervisor.Child {
		return supervisor.Child{Name: "x", Actor: blocker, Restart: r, Significant: true}
	}
	tests := []struct {
		name string
		call func() error
		want want
	}{
		{"empty name", func() error { _, err := supervisor.New(""); return err }, cfgErr("Name")},
		{"name with slash", func() error { _, err := supervisor.New("a/b"); return err }, cfgErr("Name")},
		{"nil option", newWith(nil), cfgErr("Option[0]")},
		{"nil option after a good one", newWith(supervisor.WithStrategy(policy.OneForAll), nil), cfgErr("Option[1]")},
		{"nil observer", newWith(supervisor.WithObserver(nil)), cfgErr("Observer[0]")},
		{"nil actor", withChild(supervisor.Child{Name: "x"}), cfgErr("Child[x].Actor")},
		{"nil *Supervisor actor", withChild(supervisor.Child{Name: "x", Actor: (*supervisor.Supervisor)(nil)}), cfgErr("Child[x].Actor")},
		{"nil actor.Func", withChild(supervisor.Child{Name: "x", Actor: actor.Func(nil)}), cfgErr("Child[x].Actor")},
		{"FromRun(nil, nil)", withChild(supervisor.Child{Name: "x", Actor: actor.FromRun(nil, nil)}), cfgErr("Child[x].Actor")},
		{"FromRun(f, nil)", withChild(supervisor.Child{Name: "x", Actor: actor.FromRun(func() error { return nil }, nil)}), cfgErr("Child[x].Actor")},
		{"empty child name", withChild(supervisor.Child{Actor: blocker}), cfgErr("Child.Name")},
		{"child name with slash", withChild(okChild("a/b")), cfgErr("Child.Name")},
		{"duplicate child name", newWith(supervisor.WithChildren(okChild("a"), okChild("a"))), is(supervisor.ErrDuplicateName)},
		{"negative shutdown timeout", withChild(supervisor.Child{Name: "x", Actor: blocker, ShutdownTimeout: -time.Second}), cfgErr("Child[x].ShutdownTimeout")},
		{"negative start timeout", withChild(supervisor.Child{Name: "x", Actor: blocker, StartTimeout: -1}), cfgErr("Child[x].StartTimeout")},
		{"unknown restart type", withChild(supervisor.Child{Name: "x", Actor: blocker, Restart: 9}), cfgErr("Child[x].Restart")},
		{"unknown kind", withChild(supervisor.Child{Name: "x", Actor: blocker, Kind: 9}), cfgErr("Child[x].Kind")},
		{"unknown panic mode", withChild(supervisor.Child{Name: "x", Actor: blocker, Panics: 9}), cfgErr("Child[x].Panics")},
		{"significant permanent", withChild(sig(policy.Permanent), supervisor.WithAutoShutdown(policy.AnySignificant)), cfgErr("Child[x].Significant")},
		{"significant under Never", withChild(sig(policy.Transient)), cfgErr("Child[x].Significant")},
		{"significant temporary under All is fine", withChild(sig(policy.Temporary), supervisor.WithAutoShutdown(policy.AllSignificant)), want{isNil: true}},
		{"child backoff NaN multiplier", withChild(supervisor.Child{Name: "x", Actor: blocker, Backoff: bo(policy.Backoff{Initial: 1, Multiplier: math.NaN()})}), cfgErr("Child[x].Backoff.Multiplier")},
		{"unknown strategy", newWith(supervisor.WithStrategy(7)), cfgErr("Strategy")},
		{"unknown auto-shutdown", newWith(supervisor.WithAutoShutdown(9)), cfgErr("AutoShutdown")},
		{"MaxRestarts above the cap", newWith(supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.MaxRestartsCap + 1, Period: time.Second})), cfgErr("Intensity.MaxRestarts")},
		{"MaxRestarts MaxInt", newWith(supervisor.WithIntensity(policy.Intensity{MaxRestarts: math.MaxInt, Period: time.Second})), cfgErr("Intensity.MaxRestarts")},
		{"MaxRestarts -2", newWith(supervisor.WithIntensity(policy.Intensity{MaxRestarts: -2, Period: time.Second})), cfgErr("Intensity.MaxRestarts")},
		{"zero period", newWith(supervisor.WithIntensity(policy.Intensity{MaxRestarts: 3})), cfgErr("Intensity.Period")},
		{"negative period", newWith(supervisor.WithIntensity(policy.Intensity{MaxRestarts: 3, Period: -time.Second})), cfgErr("Intensity.Period")},
		{"Unlimited ignores the period", newWith(supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited})), want{isNil: true}},
		{"backoff NaN multiplier", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Multiplier: math.NaN()})), cfgErr("Backoff.Multiplier")},
		{"backoff +Inf multiplier", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Multiplier: math.Inf(1)})), cfgErr("Backoff.Multiplier")},
		{"backoff multiplier below 1", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Multiplier: 0.5})), cfgErr("Backoff.Multiplier")},
		{"backoff Inf jitter", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Jitter: math.Inf(1)})), cfgErr("Backoff.Jitter")},
		{"backoff NaN jitter", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Jitter: math.NaN()})), cfgErr("Backoff.Jitter")},
		{"backoff negative jitter", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Jitter: -0.1})), cfgErr("Backoff.Jitter")},
		{"backoff negative initial", newWith(supervisor.WithBackoff(policy.Backoff{Initial: -1})), cfgErr("Backoff.Initial")},
		{"backoff max below initial", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, Max: time.Millisecond})), cfgErr("Backoff.Max")},
		{"backoff negative reset", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, ResetAfter: -1})), cfgErr("Backoff.ResetAfter")},
		{"backoff negative attempts", newWith(supervisor.WithBackoff(policy.Backoff{Initial: time.Second, MaxAttempts: -1})), cfgErr("Backoff.MaxAttempts")},
		{"negative MaxChildren", newWith(supervisor.WithMaxChildren(-1)), cfgErr("MaxChildren")},
		{"MaxChildren below the spec", newWith(supervisor.WithMaxChildren(1), supervisor.WithChildren(okChild("a"), okChild("b"))), cfgErr("MaxChildren")},
		{"zero observer buffer", newWith(supervisor.WithObserverBuffer(0)), cfgErr("ObserverBuffer")},
		{"negative start timeout", newWith(supervisor.WithStartTimeout(-1)), cfgErr("StartTimeout")},
		{"negative shutdown budget", newWith(supervisor.WithShutdownBudget(-1)), cfgErr("ShutdownBudget")},
		{"negative drain delay", newWith(supervisor.WithDrainDelay(-1)), cfgErr("DrainDelay")},
		{"negative log burst", newWith(supervisor.WithLogRateLimit(-1, time.Second)), cfgErr("LogRateLimit.Burst")},
		{"zero log period", newWith(supervisor.WithLogRateLimit(3, 0)), cfgErr("LogRateLimit.Period")},
		{"ValidateShutdownTimeout", func() error { return policy.ValidateShutdownTimeout("T", -1) }, cfgErr("T")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.want.check(t, noPanic(t, tt.call)) })
	}
}

// TestBadInputPolicyValues: the pure functions never panic on odd inputs.
func TestBadInputPolicyValues(t *testing.T) {
	b := policy.Backoff{Initial: time.Millisecond, Max: time.Second, Multiplier: 3, Jitter: 10}
	for _, k := range []int{-5, 0, 1, 62, 63, 64, 1000, math.MaxInt} {
		for _, r := range []float64{math.NaN(), math.Inf(-1), -1, 0, 0.999, 1, math.Inf(1)} {
			d := b.Delay(k, r)
			if d < b.Initial || d >= time.Duration(float64(b.Max)*(1+b.Jitter)) {
				t.Errorf("Delay(%d, %v) = %v, outside [Initial, Max*(1+Jitter))", k, r, d)
			}
		}
	}
	if d := (policy.Backoff{}).Delay(5, 0.5); d != 0 {
		t.Errorf("disabled backoff delays %v", d)
	}
	huge := policy.Backoff{Initial: time.Duration(math.MaxInt64 / 2), Max: time.Duration(math.MaxInt64), Jitter: 10}
	if d := huge.Delay(100, 0.99); d <= 0 {
		t.Errorf("overflowing delay %v", d)
	}
	w := policy.NewWindow(policy.Intensity{MaxRestarts: policy.Unlimited})
	for range 100000 {
		if !w.Allow(time.Time{}) {
			t.Fatal("Unlimited window refused a restart")
		}
	}
	if _, problem := policy.Decide(func(error) policy.Directive { panic("decider") }, errBoom); problem == nil {
		t.Error("a panicking decider reports no problem")
	}
	if dir, _ := policy.Decide(func(error) policy.Directive { return 42 }, errBoom); dir != policy.Escalate {
		t.Errorf("unknown directive became %v, want escalate", dir)
	}
	//lint:ignore SA1012 a nil context must be harmless
	actor.Ready(nil)
	if err := actor.FromRun(nil, nil).Run(context.Background()); !errors.Is(err, actor.ErrNilFunc) {
		t.Errorf("FromRun(nil, nil).Run = %v, want ErrNilFunc", err)
	}
	if err := actor.Func(nil).Run(context.Background()); !errors.Is(err, actor.ErrNilFunc) {
		t.Errorf("Func(nil).Run = %v, want ErrNilFunc", err)
	}
}

// TestBadInputRunningTree: bad calls on a running tree get typed errors and
// leave its children running, untouched.
func TestBadInputRunningTree(t *testing.T) {
	tests := []struct {
		name string
		call func(s *supervisor.Supervisor) error
		want want
	}{
		{"Add nil actor", func(s *supervisor.Supervisor) error { return s.Add(supervisor.Child{Name: "x"}) }, cfgErr("Child[x].Actor")},
		{"Add FromRun(nil, nil)", func(s *supervisor.Supervisor) error {
			return s.Add(supervisor.Child{Name: "x", Actor: actor.FromRun(nil, nil)})
		}, cfgErr("Child[x].Actor")},
		{"Add empty name", func(s *supervisor.Supervisor) error { return s.Add(supervisor.Child{Actor: blocker}) }, cfgErr("Child.Name")},
		{"Add name with slash", func(s *supervisor.Supervisor) error { return s.Add(okChild("x/y")) }, cfgErr("Child.Name")},
		{"Add duplicate name", func(s *supervisor.Supervisor) error { return s.Add(okChild("a")) }, is(supervisor.ErrDuplicateName)},
		{"Add significant permanent", func(s *supervisor.Supervisor) error {
			return s.Add(supervisor.Child{Name: "x", Actor: blocker, Significant: true})
		}, cfgErr("Child[x].Significant")},
		{"Add negative timeout", func(s *supervisor.Supervisor) error {
			return s.Add(supervisor.Child{Name: "x", Actor: blocker, ShutdownTimeout: -1})
		}, cfgErr("Child[x].ShutdownTimeout")},
		{"Add Inf jitter backoff", func(s *supervisor.Supervisor) error {
			return s.Add(supervisor.Child{Name: "x", Actor: blocker, Backoff: bo(policy.Backoff{Initial: 1, Jitter: math.Inf(1)})})
		}, cfgErr("Child[x].Backoff.Jitter")},
		{"Add beyond MaxChildren", func(s *supervisor.Supervisor) error {
			if err := s.Add(okChild("c")); err != nil {
				return err
			}
			if err := s.Remove("c"); err != nil {
				return err
			}
			if err := s.Add(okChild("c")); err != nil { // the slot was freed
				return err
			}
			defer s.Remove("c")
			return s.Add(okChild("d"))
		}, is(supervisor.ErrMaxChildren)},
		{"Remove unknown", func(s *supervisor.Supervisor) error { return s.Remove("nope") }, is(supervisor.ErrUnknownChild)},
		{"Remove empty name", func(s *supervisor.Supervisor) error { return s.Remove("") }, is(supervisor.ErrUnknownChild)},
		{"Restart unknown", func(s *supervisor.Supervisor) error { return s.Restart("nope") }, is(supervisor.ErrUnknownChild)},
		{"Run again while running", func(s *supervisor.Supervisor) error { return s.Run(context.Background()) }, is(supervisor.ErrAlreadyRunning)},
		{"Run twice concurrently", func(s *supervisor.Supervisor) error {
			errs := make(chan error, 2)
			for range 2 {
				go func() { errs <- s.Run(context.Background()) }()
			}
			return errors.Join(<-errs, <-errs)
		}, is(supervisor.ErrAlreadyRunning)},
		{"Run with nil context while running", func(s *supervisor.Supervisor) error {
			var ctx context.Context
			return s.Run(ctx)
		}, cfgErr("Run.ctx")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := supervisortest.New(t, "root", supervisor.WithMaxChildren(3), supervisor.WithChildren(okChild("a"), okChild("b")))
				run := supervisortest.Start(t, s)
				synctest.Wait()
				before := fmtInfos(s.Children())
				tt.want.check(t, noPanic(t, func() error { return tt.call(s) }))
				synctest.Wait()
				if after := fmtInfos(s.Children()); after != before {
					t.Errorf("children changed: before %s, after %s", before, after)
				}
				if err := run.Stop(); err != nil {
					t.Errorf("Run returned %v after a clean cancel", err)
				}
			})
		})
	}
}

// TestBadInputOutsideRun: calls before Run, after Run returned, and Run with
// a nil or finished context.
func TestBadInputOutsideRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := 0
		counted := actor.Func(func(ctx context.Context) error {
			started++
			<-ctx.Done()
			return nil
		})
		s, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "a", Actor: counted}))
		if err != nil {
			t.Fatal(err)
		}
		checks := func(when string) {
			t.Helper()
			for name, err := range map[string]error{
				"Add":     noPanic(t, func() error { return s.Add(okChild("x")) }),
				"Remove":  noPanic(t, func() error { return s.Remove("a") }),
				"Restart": noPanic(t, func() error { return s.Restart("a") }),
			} {
				if !errors.Is(err, supervisor.ErrNotRunning) {
					t.Errorf("%s %s: %v, want ErrNotRunning", name, when, err)
				}
			}
			if c := s.Children(); c != nil {
				t.Errorf("Children %s: %v, want nil", when, c)
			}
		}
		checks("before Run")
		var nilCtx context.Context
		cfgErr("Run.ctx").check(t, noPanic(t, func() error { return s.Run(nilCtx) }))
		done, cancelDone := context.WithCancel(context.Background())
		cancelDone()
		if err := noPanic(t, func() error { return s.Run(done) }); err != nil || started != 0 {
			t.Errorf("Run(done ctx) = %v with %d starts, want nil and none", err, started)
		}
		// Two concurrent Runs: one runs, the other returns ErrAlreadyRunning
		// at once.
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 2)
		for range 2 {
			go func() { ran <- s.Run(ctx) }()
		}
		synctest.Wait()
		if err := <-ran; !errors.Is(err, supervisor.ErrAlreadyRunning) {
			t.Errorf("second concurrent Run = %v, want ErrAlreadyRunning", err)
		}
		cancel()
		if err := <-ran; err != nil || started != 1 {
			t.Fatalf("Run = %v with %d starts, want nil and 1", err, started)
		}
		checks("after Run returned")
	})
}
