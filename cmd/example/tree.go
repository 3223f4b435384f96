package main

import (
	"context"
	"fmt"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// config is what the flags choose.
type config struct {
	addr      string        // HTTP listen address
	chaos     float64       // failure probability per tick
	hang      float64       // probability per tick that the indexer hangs
	crashLoop bool          // pool/worker-1 fails on every start
	workers   int           // size of the worker pool
	drain     time.Duration // unready time before the shutdown stops anything
	budget    time.Duration // the whole tree's shutdown budget (0: none)
}

// buildTree returns the example's tree:
//
//	example                  OneForOne, 10 restarts in 10s
//	├── http                 HTTP server; ready once its port is bound
//	├── pool                 OneForOne, 20 restarts in 10s
//	│   ├── worker-1         added by the pool's init hook, on every run
//	│   └── ...
//	├── flaky                fails at random; restarted under backoff
//	├── pipeline             OneForAll: the pair restarts together
//	│   ├── producer
//	│   └── consumer
//	├── ticker               a program: this executable in ticker mode
//	└── indexer              beats (actor.Beat) within a 1s liveness deadline;
//	                         hangs at random, is found hung and restarted
//
// Children start in that order and stop in the reverse order: the HTTP
// server is up before any worker runs, and goes down after all of them.
func buildTree(cfg config, log *zap.Logger) (*supervisor.Supervisor, error) {
	pool, err := supervisor.New("pool",
		// A pool of identical workers tolerates more restarts than the
		// default 3 in 5s; past that rate something common to them all is
		// wrong, and the pool gives up so that the root restarts it.
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 20, Period: 10 * time.Second}),
		// Children added with Add are not carried over to the next run,
		// so the pool adds its workers in its init hook: when the root
		// restarts the pool after an escalation, the workers come back.
		supervisor.WithInit(func(ctx context.Context, s *supervisor.Supervisor) error {
			for i := 1; i <= cfg.workers; i++ {
				err := s.Add(supervisor.Child{
					Name:  fmt.Sprintf("worker-%d", i),
					Actor: worker(cfg.chaos, cfg.crashLoop && i == 1),
				})
				if err != nil {
					return err
				}
			}
			return nil
		}),
		// Identical workers: on shutdown, stop them all at once.
		supervisor.WithConcurrentShutdown(true),
	)
	if err != nil {
		return nil, err
	}

	// The producer and the consumer share a channel and a protocol: the
	// consumer expects the sequence numbers the current producer sends,
	// from 1. If only one of them were restarted, the survivor would hold
	// the other's stale half (the consumer would see the sequence jump
	// back to 1), so OneForAll is right here: when either fails, both
	// restart, and they start again in step. The channel between them is
	// made by WithShared before every start of the pair, so a restarted
	// consumer never reads what the dead producer left in the buffer (a
	// channel made in WithInit would live for the whole run of the
	// pipeline, across its restarts).
	pipeline, err := supervisor.New("pipeline",
		supervisor.WithStrategy(policy.OneForAll),
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: 10 * time.Second}),
		supervisor.WithShared(func() any { return make(chan item, 16) }),
		supervisor.WithChildren(
			supervisor.Child{Name: "producer", Actor: producer(cfg.chaos)},
			supervisor.Child{Name: "consumer", Actor: consumer(cfg.chaos)},
		),
	)
	if err != nil {
		return nil, err
	}

	// A program as a child: its output lines are the child's log
	// entries, its STATUS= shows in the tree.
	ticker, err := tickerProgram()
	if err != nil {
		return nil, err
	}

	srv := &httpServer{addr: cfg.addr}
	root, err := supervisor.New("example",
		supervisor.WithLogger(log),
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 10, Period: 10 * time.Second}),
		// On shutdown, /readyz answers 503 at once; the drain delay
		// gives load balancers time to notice before anything stops.
		supervisor.WithDrainDelay(cfg.drain),
		// Past this, the children still running are cancelled together
		// and reported stuck, before the process's own budget ends.
		supervisor.WithShutdownBudget(cfg.budget),
		supervisor.WithChildren(
			// WaitReady: the next child starts only once the server has
			// bound its port and called actor.Ready.
			supervisor.Child{Name: "http", Actor: srv, WaitReady: true, StartTimeout: 5 * time.Second},
			supervisor.Child{Name: "pool", Actor: pool},
			supervisor.Child{Name: "flaky", Actor: flaky(cfg.chaos), Backoff: &policy.Backoff{
				Initial:    100 * time.Millisecond,
				Max:        3 * time.Second,
				Jitter:     0.2,
				ResetAfter: 2 * time.Second,
			}},
			supervisor.Child{Name: "pipeline", Actor: pipeline},
			supervisor.Child{Name: "ticker", Actor: ticker, WaitReady: true},
			// A worker that can hang while it still runs: it beats, and
			// is restarted when it misses its deadline.
			supervisor.Child{Name: "indexer", Actor: indexer(cfg.hang),
				Liveness: &supervisor.Liveness{Timeout: indexerLiveness}},
		),
	)
	if err != nil {
		return nil, err
	}
	srv.handler = handler(root)
	return root, nil
}
