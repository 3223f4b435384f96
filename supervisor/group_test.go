package supervisor_test

// A child's own goroutines, started in an actor.Group: the supervisor sees
// them as part of the child's incarnation.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// The first error of a goroutine of the group fails the incarnation, and
// the child's restart policy decides: a Permanent child is restarted, a
// Transient child is too, a Temporary child is removed.
func TestGroupErrorFailsIncarnation(t *testing.T) {
	for _, rt := range []policy.RestartType{policy.Permanent, policy.Transient, policy.Temporary} {
		t.Run(rt.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				boom := errors.New("group goroutine failed")
				var inc atomic.Int64
				var rec ssRec
				sup := ssNew(t, "root", supervisor.WithObserver(&rec), supervisor.WithChildren(supervisor.Child{Name: "w", Restart: rt,
					Actor: actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
						first := inc.Add(1) == 1
						g.Go(func() error {
							<-ctx.Done()
							return ctx.Err()
						})
						g.Go(func() error {
							if first {
								return boom
							}
							<-ctx.Done()
							return nil
						})
						return nil
					})}))
				ctx, cancel := context.WithCancel(t.Context())
				ch := ssGo(ctx, sup)
				ssRunning(t, ch)
				failed := 0
				for _, e := range rec.all() {
					if e.Kind == supervisor.EventFailed && e.Path == "root/w" {
						failed++
						if !errors.Is(e.Err, boom) {
							t.Errorf("failed event's error %v, want the goroutine's", e.Err)
						}
					}
				}
				if failed != 1 {
					t.Errorf("%d failed events, want 1", failed)
				}
				switch got, ok := supervisortest.ChildNamed(sup, "w"); {
				case rt == policy.Temporary && ok:
					t.Errorf("temporary child still there after its group failed: %+v", got)
				case rt != policy.Temporary && (!ok || got.Incarnation != 2 || got.State != supervisor.StateRunning):
					t.Errorf("after its group failed: %+v, want running incarnation 2", got)
				}
				cancel()
				if err := ssDone(t, ch); err != nil {
					t.Errorf("Run: %v", err)
				}
			})
		})
	}
}

// A panic in a goroutine of the group is the child's panic: its
// *supervisor.PanicError holds the value and the stack of the goroutine
// that panicked, not those of the incarnation's goroutine that raised it
// again.
func TestGroupPanicIsChildPanicWithOriginStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inc atomic.Int64
		var rec ssRec
		sup := ssNew(t, "root", supervisor.WithObserver(&rec), supervisor.WithChildren(supervisor.Child{Name: "w",
			Actor: actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
				if inc.Add(1) == 1 {
					g.Go(grPanicker)
				}
				g.Go(func() error {
					<-ctx.Done()
					return nil
				})
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		var pe *supervisor.PanicError
		n := 0
		for _, e := range rec.all() {
			if e.Kind == supervisor.EventPanicked {
				n++
				if !errors.As(e.Err, &pe) {
					t.Fatalf("panicked event's error %T %v, want a *supervisor.PanicError", e.Err, e.Err)
				}
			}
		}
		if n != 1 || pe == nil {
			t.Fatalf("%d panicked events, want 1", n)
		}
		if pe.Value != "group goroutine broke" {
			t.Errorf("Value = %#v, want the goroutine's panic value", pe.Value)
		}
		stack := string(pe.Stack)
		if !strings.Contains(stack, "grPanicker") || strings.Contains(stack, "actor.RunGroup(") {
			t.Errorf("Stack is not that of the goroutine that panicked:\n%s", stack)
		}
		if got := ssInfo(t, sup, "w"); got.Incarnation != 2 || got.State != supervisor.StateRunning {
			t.Errorf("after the panic: %+v, want running incarnation 2", got)
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

//go:noinline
func grPanicker() error { panic("group goroutine broke") }

// The goroutines of an incarnation's group are joined before the next
// incarnation starts: never two incarnations' goroutines at once, however
// slowly they stop.
func TestGroupJoinedBeforeNextIncarnation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var live, most, inc atomic.Int64
		enter := func() {
			n := live.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
		}
		sup := ssNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(supervisor.Child{Name: "w",
				Actor: actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
					k := inc.Add(1)
					for range 3 {
						g.Go(func() error {
							enter()
							defer live.Add(-1)
							<-ctx.Done()
							time.Sleep(time.Second) // stops slowly
							return nil
						})
					}
					if k <= 5 {
						g.Go(func() error {
							time.Sleep(time.Second)
							return errors.New("fail")
						})
					}
					return nil
				})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		time.Sleep(time.Minute)
		ssRunning(t, ch)
		if got := ssInfo(t, sup, "w"); got.Incarnation != 6 {
			t.Errorf("incarnation %d, want 6 after 5 failures", got.Incarnation)
		}
		if m := most.Load(); m != 3 {
			t.Errorf("%d goroutines of the group ran at once, want 3 (one incarnation's)", m)
		}
		cancel()
		time.Sleep(time.Minute)
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
		if n := live.Load(); n != 0 {
			t.Errorf("%d goroutines of the group outlived Run", n)
		}
	})
}

// A goroutine of the group that ignores cancellation keeps its child from
// stopping: the child is reported stuck, and the report shows that
// goroutine's stack.
func TestGroupGoroutineInStuckReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait()
		defer close(release)
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", ShutdownTimeout: time.Second,
			Actor: actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
				g.Go(func() error { return grStubborn(release) })
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		cancel()
		err := rgDoneWithin(t, ch, 2*time.Second)
		var se *supervisor.StuckError
		if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/w" {
			t.Fatalf("Run: %v, want root/w stuck", err)
		}
		if !strings.Contains(se.Stuck[0].Stack, "grStubborn") {
			t.Errorf("the stuck report lacks the group's goroutine:\n%s", se.Stuck[0].Stack)
		}
	})
}

//go:noinline
func grStubborn(release <-chan struct{}) error {
	<-release
	return nil
}

// The goroutines of the group carry the child's pprof labels: a goroutine
// profile shows them under the child's path.
func TestGroupGoroutinesCarryChildLabels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w",
			Actor: actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
				g.Go(func() error {
					// started by a goroutine of the group, not by the body
					g.Go(func() error { return grLabelled(ctx) })
					return grLabelled(ctx)
				})
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		ch := ssGo(ctx, sup)
		ssRunning(t, ch)
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
			t.Fatal(err)
		}
		labelled := 0
		for _, rec := range strings.Split(buf.String(), "\n\n") {
			if !strings.Contains(rec, "grLabelled") {
				continue
			}
			if !strings.Contains(rec, `"supervisor.path":"root/w"`) {
				t.Errorf("a goroutine of the group without the child's label:\n%s", rec)
			}
			labelled++
		}
		if labelled == 0 {
			t.Errorf("no goroutine of the group in the profile:\n%s", buf.String())
		}
		cancel()
		if err := ssDone(t, ch); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

//go:noinline
func grLabelled(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// groupCrashEnv, when set, makes TestGroupPanicCrashShowsOriginStack run
// its tree (in a subprocess).
const groupCrashEnv = "ARBOR_TEST_GROUP_CRASH"

// With PanicCrash, a panic in a goroutine of the group crashes the process
// once the group is joined, and what the process prints names the value and
// the stack of the goroutine that panicked.
func TestGroupPanicCrashShowsOriginStack(t *testing.T) {
	if os.Getenv(groupCrashEnv) == "1" {
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "w", Panics: supervisor.PanicCrash,
			Actor: actor.GroupFunc(func(ctx context.Context, g *actor.Group) error {
				g.Go(grPanicker)
				return nil
			})}))
		_ = sup.Run(context.Background())
		t.Fatal("Run returned: the panic did not crash the process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestGroupPanicCrashShowsOriginStack$", "-test.count=1")
	cmd.Env = append(os.Environ(), groupCrashEnv+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("subprocess: %v, want a crash (exit status 2)\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, "group goroutine broke") || !strings.Contains(s, "grPanicker") {
		t.Errorf("the crash does not show the panic value and the origin's stack:\n%s", s)
	}
}
