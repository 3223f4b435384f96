package bench

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/oklog/run"
	"github.com/thejerf/suture/v4"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// errFail is what failing children return: one preallocated error, so
// that no implementation pays for building it.
var errFail = errors.New("bench: child failed")

// names holds child names "c0", "c1", ... built once, outside any timing.
var names = func() []string {
	n := make([]string, 100_000)
	for i := range n {
		n[i] = "c" + strconv.Itoa(i)
	}
	return n
}()

// work is the body of child i; each implementation runs it under its own
// context.
type work func(ctx context.Context, i int) error

// impl starts n children running w under ctx (or a context derived from
// it) and returns a function that waits until all of them have returned
// after ctx is cancelled.
type impl func(ctx context.Context, n int, w work) (wait func())

// startRaw is plain goroutines joined by a sync.WaitGroup.
func startRaw(ctx context.Context, n int, w work) func() {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			_ = w(ctx, i)
		}()
	}
	return wg.Wait
}

// startRawCtx is startRaw with a context of its own for each child, as a
// supervisor gives every incarnation: the floor for any implementation
// that can cancel children one by one.
func startRawCtx(ctx context.Context, n int, w work) func() {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			defer wg.Done()
			defer cancel()
			_ = w(cctx, i)
		}()
	}
	return wg.Wait
}

// startErrgroup is one errgroup.WithContext.
func startErrgroup(ctx context.Context, n int, w work) func() {
	g, gctx := errgroup.WithContext(ctx)
	for i := range n {
		g.Go(func() error { return w(gctx, i) })
	}
	return func() { _ = g.Wait() }
}

// startOklog is one run.Group with n actors. The actors stop on the shared
// ctx, so their interrupt is a no-op: the cheapest correct use of a Group
// here (Run returns once the first actor returns and all others have).
func startOklog(ctx context.Context, n int, w work) func() {
	var g run.Group
	for i := range n {
		g.Add(func() error { return w(ctx, i) }, func(error) {})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Run()
	}()
	return func() { <-done }
}

// sutureSvc is a suture.Service with a name, as suture users write them.
type sutureSvc struct {
	name string
	run  func(ctx context.Context) error
}

func (s *sutureSvc) Serve(ctx context.Context) error { return s.run(ctx) }
func (s *sutureSvc) String() string                  { return s.name }

// sutureSpec never gives up and never backs off: the failure threshold
// cannot be reached. hook nil means a no-op hook (suture's default would
// log.Print every event).
func sutureSpec(hook suture.EventHook) suture.Spec {
	if hook == nil {
		hook = func(suture.Event) {}
	}
	return suture.Spec{
		EventHook:        hook,
		FailureThreshold: math.MaxFloat64,
		FailureBackoff:   time.Nanosecond,
		BackoffJitter:    suture.NoJitter{},
	}
}

// startSuture is one suture supervisor with n services.
func startSuture(hook suture.EventHook) impl {
	return func(ctx context.Context, n int, w work) func() {
		sup := suture.New("bench", sutureSpec(hook))
		for i := range n {
			sup.Add(&sutureSvc{name: names[i], run: func(ctx context.Context) error { return w(ctx, i) }})
		}
		errc := sup.ServeBackground(ctx)
		return func() { <-errc }
	}
}

// startOurs is one arbor supervisor with n children.
func startOurs(opts ...supervisor.Option) impl {
	return func(ctx context.Context, n int, w work) func() {
		children := make([]supervisor.Child, n)
		for i := range children {
			children[i] = supervisor.Child{Name: names[i], Actor: actor.Func(func(ctx context.Context) error { return w(ctx, i) })}
		}
		sup, err := supervisor.New("bench", append(opts[:len(opts):len(opts)], supervisor.WithChildren(children...))...)
		if err != nil {
			panic(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := sup.Run(ctx); err != nil {
				panic(err)
			}
		}()
		return func() { <-done }
	}
}

// unlimited is the arbor configuration of the restart benchmarks: never
// give up, no backoff (the default), no logger (the default).
var unlimited = supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited})

// startCentral is the hand-written restart loop: a goroutine per
// incarnation, each with a fresh context.WithCancel; exits arrive on one
// channel and the loop starts a new incarnation of the failed child.
func startCentral(ctx context.Context, n int, w work) func() {
	type exit struct {
		i   int
		err error
	}
	exits := make(chan exit, n)
	cancels := make([]context.CancelFunc, n)
	launch := func(i int) {
		cctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		go func() { exits <- exit{i, w(cctx, i)} }()
	}
	for i := range n {
		launch(i)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		live := n
		for live > 0 {
			e := <-exits
			cancels[e.i]()
			if e.err != nil && ctx.Err() == nil {
				launch(e.i)
				continue
			}
			live--
		}
	}()
	return func() { <-done }
}

// discardLogger is a production-style logger: JSON encoder with the
// production encoder config, Info level, writing to io.Discard, no
// sampling.
func discardLogger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
}

// discardSlog is the slog counterpart of discardLogger: a JSON handler
// writing to io.Discard at Info level.
func discardSlog() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// zapHook logs suture's events with zap, one entry per event with the
// event's fields, as suture users do.
func zapHook(l *zap.Logger) suture.EventHook {
	return func(e suture.Event) {
		switch e := e.(type) {
		case suture.EventServiceTerminate:
			l.Warn("service terminated", zap.String("supervisor", e.SupervisorName), zap.String("service", e.ServiceName),
				zap.Float64("failures", e.CurrentFailures), zap.Float64("threshold", e.FailureThreshold),
				zap.Bool("restarting", e.Restarting), zap.Any("error", e.Err))
		case suture.EventServicePanic:
			l.Error("service panicked", zap.String("supervisor", e.SupervisorName), zap.String("service", e.ServiceName),
				zap.Float64("failures", e.CurrentFailures), zap.Float64("threshold", e.FailureThreshold),
				zap.Bool("restarting", e.Restarting), zap.String("panic", e.PanicMsg), zap.String("stacktrace", e.Stacktrace))
		case suture.EventBackoff:
			l.Warn("supervisor backing off", zap.String("supervisor", e.SupervisorName))
		case suture.EventResume:
			l.Info("supervisor resuming", zap.String("supervisor", e.SupervisorName))
		case suture.EventStopTimeout:
			l.Error("service did not stop in time", zap.String("supervisor", e.SupervisorName), zap.String("service", e.ServiceName))
		default:
			l.Info(e.String())
		}
	}
}

// settle waits, outside any timing, until the goroutines of the finished
// iterations are gone, so that none leaks into the next measurement.
func settle(b *testing.B, base int) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			b.Fatalf("%d goroutines still running, want %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(time.Millisecond)
	}
}
