// Command example is a small daemon built as an arbor supervision tree: an
// HTTP server that serves the live tree and the health probes, a pool of
// workers, a flaky worker restarted under backoff and a producer/consumer
// pair that restarts together. Failures are injected at random (-chaos) so
// that restarts show in the log.
//
// Usage:
//
//	go run ./cmd/example [flags]
//
// Flags:
//
//	-addr 127.0.0.1:8080   HTTP listen address (port 0 picks a free port)
//	-chaos 0.05            failure probability of each worker per 200ms tick
//	-crash-loop            pool/worker-1 fails on every start: the tree gives up
//	-drain 0               on shutdown, stay up but unready this long first
//	-duration 0            stop by itself after that long (0: until signalled)
//	-log-format console    console (human-readable) or json
//	-log-level ""          debug, info, warn or error (default: debug for
//	                       console, info for json)
//	-workers 3             size of the worker pool
//
// The HTTP server answers on /tree (the live tree as text), /tree.json,
// /healthz (liveness) and /readyz (readiness).
//
// Exit status: 0 after a clean shutdown (SIGINT, SIGTERM or -duration); 1
// when the tree gave up (the error names the leaf where the failure began)
// or failed to start; 2 for bad flags; 130 when a second SIGINT or SIGTERM
// arrives during the shutdown, which then exits at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/arbor-go/arbor/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses the flags, builds and runs the tree, and returns the exit
// status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "HTTP listen `address` (port 0 picks a free port)")
	fs.Float64Var(&cfg.chaos, "chaos", 0.05, "failure `probability` of each worker per 200ms tick (0 disables)")
	fs.BoolVar(&cfg.crashLoop, "crash-loop", false, "make pool/worker-1 fail on every start, so that the tree gives up")
	fs.IntVar(&cfg.workers, "workers", 3, "`number` of workers in the pool")
	fs.DurationVar(&cfg.drain, "drain", 0, "on shutdown, stay up but unready (/readyz 503) this long before stopping anything")
	duration := fs.Duration("duration", 0, "stop by itself after this long (0: run until signalled)")
	format := fs.String("log-format", "console", "log format: console or json")
	level := fs.String("log-level", "", "log level: debug, info, warn or error (default debug for console, info for json)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "example: unexpected arguments: %q\n", fs.Args())
		return 2
	case cfg.chaos < 0 || cfg.chaos > 1:
		fmt.Fprintln(stderr, "example: -chaos must be between 0 and 1")
		return 2
	case cfg.workers < 1:
		fmt.Fprintln(stderr, "example: -workers must be at least 1")
		return 2
	case *duration < 0 || cfg.drain < 0:
		fmt.Fprintln(stderr, "example: -duration and -drain must not be negative")
		return 2
	}
	log, err := newLogger(*format, *level, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "example:", err)
		return 2
	}
	defer log.Sync()

	root, err := buildTree(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "example:", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if *duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	done := make(chan struct{})
	defer close(done)
	go handleSignals(cancel, done, log)

	// The root calls actor.Ready on its own context once every child has
	// started; show the tree then.
	ready := make(chan struct{})
	var once sync.Once
	ctx = actor.WithReady(ctx, func() { once.Do(func() { close(ready) }) })
	go func() {
		select {
		case <-ready:
			logTree(log, *format, root.Snapshot().String())
		case <-done:
		}
	}()

	log.Info("starting", zap.String("addr", cfg.addr), zap.Float64("chaos", cfg.chaos),
		zap.Bool("crash_loop", cfg.crashLoop), zap.Duration("duration", *duration))
	if err := root.Run(ctx); err != nil {
		log.Error("the tree failed", zap.Error(err))
		fmt.Fprintln(stderr, "example:", err)
		return 1
	}
	reason := "signal"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		reason = "duration elapsed"
	}
	log.Info("stopped cleanly", zap.String("reason", reason))
	return 0
}

// handleSignals cancels the tree on the first SIGINT or SIGTERM, and exits
// the process at once, with status 130, on the second.
func handleSignals(cancel context.CancelFunc, done <-chan struct{}, log *zap.Logger) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case sig := <-sigs:
		log.Info("signal received; shutting down (send it again to exit at once)", zap.Stringer("signal", sig))
		cancel()
	case <-done:
		return
	}
	select {
	case sig := <-sigs:
		log.Warn("second signal; exiting at once", zap.Stringer("signal", sig))
		log.Sync()
		os.Exit(130)
	case <-done:
	}
}

// logTree logs the tree's picture: as a multi-line message in the console,
// as a field in JSON.
func logTree(log *zap.Logger, format, tree string) {
	if format == "json" {
		log.Info("tree is up", zap.String("tree", tree))
		return
	}
	log.Info("tree is up:\n" + tree)
}

// newLogger returns a zap logger writing to w: zap's development console
// encoder, or its production JSON encoder.
func newLogger(format, level string, w io.Writer) (*zap.Logger, error) {
	var enc zapcore.Encoder
	lvl := zapcore.DebugLevel
	switch format {
	case "console":
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(ec)
	case "json":
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		lvl = zapcore.InfoLevel
	default:
		return nil, fmt.Errorf("unknown -log-format %q: want console or json", format)
	}
	if level != "" {
		l, err := zapcore.ParseLevel(level)
		if err != nil {
			return nil, fmt.Errorf("bad -log-level: %w", err)
		}
		lvl = l
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}
