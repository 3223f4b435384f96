package proptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/goleak"
)

// soakTokens numbers every injected failure; its error (or panic value)
// carries "tok#N#" so that the events can be matched to it.
var tokenRE = regexp.MustCompile(`tok#(\d+)#`)

type soak struct {
	next     atomic.Int64
	injected sync.Map // token -> struct{}
	failures atomic.Int64
	panics   atomic.Int64
}

// chaos is a leaf: each incarnation lives a random while, then fails,
// panics, returns nil, or runs until stopped; asked to stop, it may take a
// little while (well within its shutdown timeout).
func (s *soak) chaos() actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		actor.Ready(ctx)
		life := time.NewTimer(time.Duration(20+rand.IntN(1500)) * time.Millisecond)
		defer life.Stop()
		select {
		case <-ctx.Done():
			if rand.IntN(20) == 0 {
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			}
			return ctx.Err()
		case <-life.C:
		}
		switch n := rand.IntN(10); {
		case n < 4:
			tok := fmt.Sprintf("tok#%d#", s.next.Add(1))
			s.injected.Store(tok, struct{}{})
			s.failures.Add(1)
			return errors.New("injected " + tok)
		case n < 5:
			tok := fmt.Sprintf("tok#%d#", s.next.Add(1))
			s.injected.Store(tok, struct{}{})
			s.panics.Add(1)
			panic("injected " + tok)
		case n < 7:
			return nil
		}
		<-ctx.Done()
		return nil
	})
}

// soakObserver checks the event stream as it comes: every injected failure
// is reported exactly once, each supervisor run's events arrive all and in
// order, and no supervisor run restarts more often than its intensity
// allows.
//
// The intensity check is exact, with no slack: it counts as the
// supervisor's window does. An event's Time is the instant the supervisor
// read for its transition (its monotonic reading exactly), and a restart
// counts at the instant of the failure it answers, its incarnation's exit
// event (failed, panicked, exited or stopped), or at the latest instant
// already counted if that is later (restarts are admitted in the order of
// their restarting events, and the window's time never goes back). A
// restart that follows a failed start or a hang counts at its admission
// instead; the soak has neither (a failed start is a violation of its own,
// and no child has a liveness deadline).
type soakObserver struct {
	mu         sync.Mutex
	limits     map[string]policy.Intensity // per supervisor path
	runs       map[string]*soakRun         // per supervisor path: its current run
	tokens     map[string]int
	events     int
	restarted  int
	escalated  int
	dropped    uint64
	violations []string
}

// soakRun is what the observer knows of one run of one supervisor. A run's
// events are numbered from 1 (Event.Seq): an event numbered 1 begins a run.
type soakRun struct {
	seq       uint64               // the last event's Seq
	failedAt  map[string]time.Time // "path#incarnation" -> Time of its exit event
	lastAdmit time.Time            // the latest instant counted in the window
	restarts  []time.Time          // the instants counted, the newest MaxRestarts
}

func isLeaf(path string) bool {
	name := path[strings.LastIndex(path, "/")+1:]
	return strings.HasPrefix(name, "w") || strings.HasPrefix(name, "dyn")
}

func (o *soakObserver) Observe(e supervisor.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events++
	if e.Kind == supervisor.EventObserverDropped {
		o.dropped += e.Dropped
		return
	}
	rn := o.runs[e.Supervisor]
	switch {
	case e.Seq == 1:
		rn = &soakRun{failedAt: make(map[string]time.Time)}
		o.runs[e.Supervisor] = rn
	case rn == nil || e.Seq != rn.seq+1:
		last := uint64(0)
		if rn == nil {
			rn = &soakRun{failedAt: make(map[string]time.Time)}
			o.runs[e.Supervisor] = rn
		} else {
			last = rn.seq
		}
		o.violations = append(o.violations, fmt.Sprintf("%s: %v event numbered %d after %d: events lost or out of order", e.Supervisor, e.Kind, e.Seq, last))
	}
	rn.seq = e.Seq
	key := e.Path + "#" + strconv.FormatUint(e.Incarnation, 10)
	switch e.Kind {
	case supervisor.EventFailed, supervisor.EventPanicked, supervisor.EventExited, supervisor.EventStopped:
		rn.failedAt[key] = e.Time
		if e.Err != nil && isLeaf(e.Path) {
			for _, m := range tokenRE.FindAllString(e.ErrText, -1) {
				o.tokens[m]++
			}
		}
	case supervisor.EventRestarting:
		o.restarted++
		at, ok := rn.failedAt[key]
		if !ok {
			o.violations = append(o.violations, "restarting without an exit: "+key)
			return
		}
		delete(rn.failedAt, key) // an incarnation restarts once
		lim := o.limits[e.Supervisor]
		if lim.MaxRestarts == policy.Unlimited {
			return
		}
		if at.Before(rn.lastAdmit) {
			at = rn.lastAdmit
		}
		rn.lastAdmit = at
		times := append(rn.restarts, at)
		var within []string
		for _, t := range times {
			if at.Sub(t) <= lim.Period {
				within = append(within, "-"+at.Sub(t).String())
			}
		}
		if len(within) > lim.MaxRestarts {
			o.violations = append(o.violations, fmt.Sprintf("%s: restart of %s is the %d%s within %v (at %s), limit %v",
				e.Supervisor, key, len(within), ordinal(len(within)), lim.Period, strings.Join(within, ", "), lim))
		}
		if len(times) > lim.MaxRestarts {
			times = append(times[:0], times[len(times)-lim.MaxRestarts:]...)
		}
		rn.restarts = times
	case supervisor.EventEscalated:
		o.escalated++
	case supervisor.EventStartFailed, supervisor.EventStopTimeout, supervisor.EventStuckExited, supervisor.EventHung:
		o.violations = append(o.violations, fmt.Sprintf("unexpected %v at %s: %s", e.Kind, e.Path, e.ErrText))
	}
}

// ordinal returns the English suffix of n: "st", "nd", "rd" or "th".
func ordinal(n int) string {
	if n%100/10 != 1 {
		switch n % 10 {
		case 1:
			return "st"
		case 2:
			return "nd"
		case 3:
			return "rd"
		}
	}
	return "th"
}

func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("SOAK_SECONDS"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("SOAK_SECONDS=%q: %v", v, err)
		}
		return time.Duration(n * float64(time.Second))
	}
	if testing.Short() {
		return time.Second
	}
	return 5 * time.Second
}

// TestSoak runs a tree of about 2000 leaves with random failures, panics,
// slow shutdowns and concurrent Add/Remove for a while, then stops it and
// checks the invariants that always hold.
func TestSoak(t *testing.T) {
	defer goleak.VerifyNone(t)
	before := runtime.NumGoroutine()
	sk := &soak{}
	obs := &soakObserver{limits: make(map[string]policy.Intensity), tokens: make(map[string]int),
		runs: make(map[string]*soakRun)}
	strategies := []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne}
	var bottoms []*supervisor.Supervisor
	var mids []supervisor.Child
	leaves := 0
	for m := range 10 {
		var subs []supervisor.Child
		for b := range 10 {
			var ws []supervisor.Child
			for w := range 20 {
				ws = append(ws, supervisor.Child{Name: fmt.Sprintf("w%d", w), Actor: sk.chaos(),
					Restart: policy.RestartType(w % 3), WaitReady: w%4 == 0, ShutdownTimeout: 2 * time.Second})
				leaves++
			}
			lim := policy.Intensity{MaxRestarts: 4 + 4*(b%3), Period: 500 * time.Millisecond}
			opts := []supervisor.Option{supervisor.WithStrategy(strategies[(m+b)%3]), supervisor.WithIntensity(lim), supervisor.WithChildren(ws...)}
			if b%2 == 0 {
				opts = append(opts, supervisor.WithBackoff(policy.Backoff{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond}))
			}
			sup, err := supervisor.New(fmt.Sprintf("b%d", b), opts...)
			if err != nil {
				t.Fatal(err)
			}
			obs.limits[fmt.Sprintf("root/m%d/b%d", m, b)] = lim
			bottoms = append(bottoms, sup)
			subs = append(subs, supervisor.Child{Name: fmt.Sprintf("b%d", b), Actor: sup})
		}
		lim := policy.Intensity{MaxRestarts: 8, Period: time.Second}
		sup, err := supervisor.New(fmt.Sprintf("m%d", m), supervisor.WithStrategy(strategies[m%3]), supervisor.WithIntensity(lim), supervisor.WithChildren(subs...))
		if err != nil {
			t.Fatal(err)
		}
		obs.limits[fmt.Sprintf("root/m%d", m)] = lim
		mids = append(mids, supervisor.Child{Name: fmt.Sprintf("m%d", m), Actor: sup})
	}
	unlimited := policy.Intensity{MaxRestarts: policy.Unlimited}
	obs.limits["root"] = unlimited
	root, err := supervisor.New("root", supervisor.WithIntensity(unlimited), supervisor.WithChildren(mids...),
		supervisor.WithObserver(obs), supervisor.WithObserverBuffer(1<<16))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- root.Run(ctx) }()

	// Concurrent Add/Remove of dynamic leaves.
	var wg sync.WaitGroup
	var adds, removes atomic.Int64
	var dynErrs sync.Map
	stopDyn := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			for n := 0; ; n++ {
				select {
				case <-stopDyn:
					return
				case <-time.After(time.Duration(1+rng.IntN(5)) * time.Millisecond):
				}
				sup := bottoms[rng.IntN(len(bottoms))]
				name := fmt.Sprintf("dyn%d-%d", g, n)
				err := sup.Add(supervisor.Child{Name: name, Actor: sk.chaos(), Restart: policy.RestartType(rng.IntN(3)), ShutdownTimeout: 2 * time.Second})
				if err == nil {
					adds.Add(1)
					if rng.IntN(2) == 0 {
						time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
						if err = sup.Remove(name); err == nil {
							removes.Add(1)
						}
					}
				}
				if err != nil && !errors.Is(err, supervisor.ErrNotRunning) && !errors.Is(err, supervisor.ErrShuttingDown) && !errors.Is(err, supervisor.ErrUnknownChild) {
					dynErrs.Store(err.Error(), true)
				}
			}
		})
	}

	time.Sleep(soakDuration(t))
	close(stopDyn)
	wg.Wait()
	cancel()
	// No bound of its own on the shutdown: its timeouts are the tree's
	// business, and a Run that never returns is reported at the test
	// binary's deadline. The leak check is goleak's, deferred above.
	err = testutil.Receive(t, done, "Run's return after the cancel")
	elapsed := time.Since(start)
	if err != nil {
		t.Errorf("Run returned %v after a clean shutdown, want nil", err)
	}
	after := runtime.NumGoroutine()
	dynErrs.Range(func(k, _ any) bool { t.Errorf("dynamic call: unexpected error %v", k); return true })

	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.dropped > 0 {
		t.Errorf("observer dropped %d events", obs.dropped)
	}
	injected := 0
	sk.injected.Range(func(k, _ any) bool {
		injected++
		if n := obs.tokens[k.(string)]; n != 1 {
			t.Errorf("injected failure %s reported %d times, want exactly once", k, n)
		}
		return true
	})
	if len(obs.tokens) != injected {
		t.Errorf("%d failures reported, %d injected", len(obs.tokens), injected)
	}
	for _, v := range obs.violations {
		t.Error(v)
	}
	t.Logf("soak: %v, %d leaves + %d dynamic adds (%d removes), %d failures + %d panics injected, %d restarts, %d escalations, %d events, goroutines %d before / %d after",
		elapsed.Round(time.Millisecond), leaves, adds.Load(), removes.Load(), sk.failures.Load(), sk.panics.Load(), obs.restarted, obs.escalated, obs.events, before, after)
}
