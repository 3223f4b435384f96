package supervisor_test

// The README's recipe for workers that talk to the network ("Workers that
// talk to the network: use backoff"), checked with its own numbers in
// virtual time, at both ends of the jitter: a dependency that fails every
// other poll keeps the tree up, a short outage is waited out, and one of two
// minutes makes the supervisor give up within three.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// recipeIntensity and recipeBackoff are the README's numbers.
var (
	recipeIntensity = policy.Intensity{MaxRestarts: 20, Period: 10 * time.Second}
	recipeBackoff   = policy.Backoff{Initial: time.Second, Max: 30 * time.Second, Jitter: 0.2, ResetAfter: time.Second, MaxAttempts: 6}
)

// upstream is a service polled by a worker: it can fail every other poll,
// or be down for a while.
type upstream struct {
	mu        sync.Mutex
	polls     int
	flapping  bool      // every second poll fails
	downUntil time.Time // every poll before then fails
}

func (u *upstream) poll() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.polls++
	if time.Now().Before(u.downUntil) {
		return errors.New("dial tcp 10.0.0.7:443: connection refused")
	}
	if u.flapping && u.polls%2 == 0 {
		return errors.New("GET /v1/feed: 503 Service Unavailable")
	}
	return nil
}

// poller polls u at once and then every second, and fails with the first
// failed poll.
func poller(u *upstream) actor.Actor {
	return actor.Func(func(ctx context.Context) error {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if err := u.poll(); err != nil {
				return err
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return nil
			}
		}
	})
}

// runRecipe runs the recipe's tree around a poller of u, with every jitter
// draw at fraction, and returns a channel with Run's result and when it
// returned, and the function that stops it.
func runRecipe(t *testing.T, u *upstream, fraction float64) (*supervisor.Supervisor, <-chan error, context.CancelFunc) {
	t.Helper()
	b := recipeBackoff
	root, err := supervisor.New("root",
		supervisor.WithIntensity(recipeIntensity),
		supervisor.WithJitter(func() float64 { return fraction }),
		supervisor.WithChildren(supervisor.Child{Name: "feed", Actor: poller(u), Backoff: &b}),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- root.Run(ctx) }()
	return root, done, cancel
}

// jitters are the ends of the jitter's range: no stretch, and nearly the
// most (a draw is below 1).
var jitters = []float64{0, 0.999}

func TestBackoffRecipeKeepsTheTreeUpWhenEveryOtherPollFails(t *testing.T) {
	for _, j := range jitters {
		t.Run(fmt.Sprintf("jitter %v", j), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				u := &upstream{flapping: true}
				root, done, cancel := runRecipe(t, u, j)
				time.Sleep(10 * time.Minute) // virtual
				select {
				case err := <-done:
					t.Fatalf("Run returned %v after %d polls; want the tree up for 10 minutes", err, u.polls)
				default:
				}
				if c := root.Counters(); c.Restarts < 250 {
					t.Fatalf("%d restarts in 10 minutes; want one every 2-2.2 s", c.Restarts)
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

func TestBackoffRecipeWaitsOutAShortOutage(t *testing.T) {
	for _, j := range jitters {
		t.Run(fmt.Sprintf("jitter %v", j), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				u := &upstream{downUntil: time.Now().Add(30 * time.Second)}
				root, done, cancel := runRecipe(t, u, j)
				time.Sleep(10 * time.Minute)
				select {
				case err := <-done:
					t.Fatalf("Run returned %v; want a 30 s outage waited out", err)
				default:
				}
				if kids := root.Children(); kids[0].State != supervisor.StateRunning {
					t.Fatalf("feed %v after the outage, want running", kids[0].State)
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

func TestBackoffRecipeGivesUpOnATwoMinuteOutageWithinThree(t *testing.T) {
	for _, j := range jitters {
		t.Run(fmt.Sprintf("jitter %v", j), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				began := time.Now()
				u := &upstream{downUntil: began.Add(2 * time.Minute)}
				_, done, cancel := runRecipe(t, u, j)
				defer cancel()
				var err error
				select {
				case err = <-done:
				case <-time.After(time.Hour):
					t.Fatal("Run still running an hour after a 2-minute outage began; want it to give up within 3 minutes")
				}
				took := time.Since(began)
				var esc *supervisor.EscalationError
				if !errors.As(err, &esc) || esc.Reason != "backoff" || took > 3*time.Minute {
					t.Fatalf("Run = %v after %v; want an escalation for backoff within 3 minutes", err, took)
				}
				t.Logf("gave up after %v: %v", took, err)
			})
		})
	}
}
