// Command example is a small daemon built as an arbor supervision tree: an
// HTTP server that serves the live tree and the health probes, a pool of
// workers, a flaky worker restarted under backoff and a producer/consumer
// pair that restarts together, a program (the example itself in another
// mode) run as a child with package process, and an indexer that beats
// within a liveness deadline. Failures and hangs are injected at random
// (-chaos, -hang) so that restarts show in the log. It runs the tree as the process with
// package daemon: signals, exit status, systemd notifications and the
// shutdown budget.
//
// Usage:
//
//	go build -o example ./cmd/example && ./example [flags]
//
// (go run works too, but reports exit status 1 whenever the program is
// interrupted, whatever the program's own status.)
//
// Flags:
//
//	-addr 127.0.0.1:8080   HTTP listen address (port 0 picks a free port)
//	-chaos 0.05            failure probability of each worker per 200ms tick
//	-crash-loop            pool/worker-1 fails on every start: the tree gives up
//	-debug-addr ""         the daemon's own health and debug server, outside
//	                       the tree: it answers until the process exits
//	                       (":port" listens on loopback; empty: none)
//	-hang -1               probability per 200ms tick that the indexer hangs
//	                       (found hung after 1s and restarted; -1: -chaos/4)
//	-drain 0               on shutdown, stay up but unready this long first
//	                       (shorter than the tree's budget, 4/5 of -shutdown-budget)
//	-duration 0            stop by itself after that long (0: until signalled)
//	-log-format console    console (human-readable) or json
//	-log-level ""          debug, info, warn or error (default: debug for
//	                       console, info for json)
//	-pprof                 serve /debug/pprof/ on the -debug-addr server
//	-shutdown-budget 25s   the longest the shutdown may take; then the
//	                       process exits 1 with a report of what still runs
//	                       (the tree's own budget is 4/5 of it)
//	-workers 3             size of the worker pool
//
// The HTTP servers answer on /tree (the live tree as text), /tree.json,
// /healthz (liveness) and /readyz (readiness).
//
// Under systemd with Type=notify, the example sends READY=1 once the tree is
// up, STATUS= when a supervisor gives up or a child is stuck, STOPPING=1
// when the shutdown begins, and watchdog pings if WatchdogSec= is set.
//
// Exit status: 0 after a clean shutdown (SIGINT, SIGTERM or -duration); 1
// when the tree gave up (the error names the leaf where the failure began),
// failed to start, left children stuck or overran the shutdown budget; 2
// for bad flags; 130 when a second SIGINT or SIGTERM arrives during the
// shutdown, which then exits at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/arbor-go/arbor/daemon"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func main() {
	if os.Getenv(tickerEnv) != "" {
		os.Exit(runTicker()) // this process is example/ticker: see ticker.go
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses the flags, builds the tree and runs it as the process with
// daemon.Run, and returns the exit status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "HTTP listen `address` (port 0 picks a free port)")
	fs.Float64Var(&cfg.chaos, "chaos", 0.05, "failure `probability` of each worker per 200ms tick (0 disables)")
	fs.Float64Var(&cfg.hang, "hang", -1, "`probability` per 200ms tick that the indexer hangs (found hung after 1s and restarted; -1: a quarter of -chaos)")
	fs.BoolVar(&cfg.crashLoop, "crash-loop", false, "make pool/worker-1 fail on every start, so that the tree gives up")
	fs.IntVar(&cfg.workers, "workers", 3, "`number` of workers in the pool")
	fs.DurationVar(&cfg.drain, "drain", 0, "on shutdown, stay up but unready (/readyz 503) this long before stopping anything")
	duration := fs.Duration("duration", 0, "stop by itself after this long (0: run until signalled)")
	debugAddr := fs.String("debug-addr", "", "`address` of the daemon's health and debug server, which answers until the process exits (\":port\" is loopback; empty: none)")
	pprof := fs.Bool("pprof", false, "serve /debug/pprof/ on the -debug-addr server")
	budget := fs.Duration("shutdown-budget", daemon.DefaultShutdownBudget, "exit with status 1 and a report of what still runs if the shutdown takes longer (0: no limit)")
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
	case cfg.hang != -1 && (cfg.hang < 0 || cfg.hang > 1):
		fmt.Fprintln(stderr, "example: -hang must be between 0 and 1, or -1")
		return 2
	case cfg.workers < 1:
		fmt.Fprintln(stderr, "example: -workers must be at least 1")
		return 2
	case *duration < 0 || cfg.drain < 0 || *budget < 0:
		fmt.Fprintln(stderr, "example: -duration, -drain and -shutdown-budget must not be negative")
		return 2
	case *budget > 0 && cfg.drain >= *budget*4/5:
		// The tree's budget (4/5 of the process's) caps its whole
		// shutdown, drain included.
		fmt.Fprintln(stderr, "example: -drain must be shorter than 4/5 of -shutdown-budget (the tree's own budget)")
		return 2
	case *pprof && *debugAddr == "":
		fmt.Fprintln(stderr, "example: -pprof needs -debug-addr")
		return 2
	}
	if cfg.hang == -1 {
		cfg.hang = cfg.chaos / 4
	}
	log, err := newLogger(*format, *level, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "example:", err)
		return 2
	}
	defer log.Sync()

	// The tree's own budget is a little smaller than the process's, so
	// that the tree reports its stuck children itself, with their stacks.
	cfg.budget = *budget * 4 / 5
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

	// Show the tree once it is up.
	shown := make(chan struct{})
	defer func() { <-shown }()
	go func() {
		defer close(shown)
		if root.WaitReady(ctx) == nil {
			logTree(log, *format, root.Snapshot().String())
		}
	}()

	log.Info("starting", zap.String("addr", cfg.addr), zap.Float64("chaos", cfg.chaos),
		zap.Bool("crash_loop", cfg.crashLoop), zap.Duration("duration", *duration))
	// daemon.Run handles SIGINT and SIGTERM (a second one exits 130),
	// notifies systemd, bounds the shutdown and logs the final error once.
	// The end of ctx (-duration) stops the tree like a signal.
	code, _ := daemon.Run(ctx, root, daemon.WithLogger(log), daemon.WithShutdownBudget(*budget),
		daemon.WithHealthAddr(*debugAddr), daemon.WithPprof(*pprof))
	cancel() // the tree has stopped, or is abandoned: end the wait for readiness
	return code
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
