package kubeleader

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/supervisor"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Config describes one candidate for one Lease.
type Config struct {
	// Client reaches the Lease API, such as clientset.CoordinationV1().
	Client coordinationv1client.LeasesGetter
	// Namespace and Name name the Lease.
	Namespace, Name string
	// Identity names this candidate, unique among the candidates (the
	// pod's name, for example).
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's, with
	// its rules: LeaseDuration > RenewDeadline > 1.2 × RetryPeriod, and a
	// LeaseDuration of whole seconds (the Lease stores seconds, an int32).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Elector is a candidate for a Kubernetes Lease; it implements
// leader.Elector. Make one with New.
type Elector struct {
	cfg Config
}

// New returns an Elector for cfg. A bad value is a
// *supervisor.ConfigError naming the field.
func New(cfg Config) (*Elector, error) {
	bad := func(field string, v any, reason string) error {
		return &supervisor.ConfigError{Field: field, Value: v, Reason: reason}
	}
	switch {
	case cfg.Client == nil:
		return nil, bad("Config.Client", nil, "must not be nil")
	case cfg.Name == "" || cfg.Namespace == "":
		return nil, bad("Config.Name", cfg.Namespace+"/"+cfg.Name, "needs a namespace and a name")
	case cfg.Identity == "":
		return nil, bad("Config.Identity", cfg.Identity, "must not be empty")
	case cfg.RetryPeriod <= 0:
		return nil, bad("Config.RetryPeriod", cfg.RetryPeriod, "must be positive")
	case float64(cfg.RenewDeadline) <= leaderelection.JitterFactor*float64(cfg.RetryPeriod):
		return nil, bad("Config.RenewDeadline", cfg.RenewDeadline, "must be above 1.2 × RetryPeriod")
	case cfg.LeaseDuration <= cfg.RenewDeadline || cfg.LeaseDuration <= cfg.RetryPeriod ||
		cfg.LeaseDuration <= cfg.RenewDeadline+cfg.RetryPeriod: // each below it first: the sum cannot wrap round
		return nil, &supervisor.ConfigError{Field: "Config.LeaseDuration", Value: cfg.LeaseDuration,
			Reason: "must be above RenewDeadline + RetryPeriod", Err: leader.ErrBounds}
	case cfg.LeaseDuration%time.Second != 0:
		return nil, bad("Config.LeaseDuration", cfg.LeaseDuration, "must be whole seconds")
	case cfg.LeaseDuration/time.Second > math.MaxInt32:
		return nil, bad("Config.LeaseDuration", cfg.LeaseDuration, "must fit the Lease's int32 seconds")
	}
	return &Elector{cfg: cfg}, nil
}

// Timing returns LeaseDuration as the TTL, and RenewDeadline +
// RetryPeriod as the renew deadline: client-go starts each renewal attempt
// RetryPeriod after the last success, and gives it RenewDeadline.
func (e *Elector) Timing() leader.Timing {
	return leader.Timing{TTL: e.cfg.LeaseDuration, RenewDeadline: e.cfg.RenewDeadline + e.cfg.RetryPeriod}
}

// Campaign runs a LeaderElector until it acquires the Lease, or ctx is
// done.
func (e *Elector) Campaign(ctx context.Context) (leader.Term, error) {
	lock := &recordingLock{Interface: &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name},
		Client:     e.cfg.Client,
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.cfg.Identity},
	}}
	runCtx, cancel := context.WithCancel(context.Background())
	t := &term{e: e, lock: lock, cancel: cancel, done: make(chan struct{})}
	won := make(chan context.Context, 1)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:          lock,
		LeaseDuration: e.cfg.LeaseDuration,
		RenewDeadline: e.cfg.RenewDeadline,
		RetryPeriod:   e.cfg.RetryPeriod,
		Name:          e.cfg.Namespace + "/" + e.cfg.Name,
		// ReleaseOnCancel stays false: client-go would release the Lease
		// when its renewal fails, before the actor returned.
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) { won <- lctx },
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kubeleader: %w", err)
	}
	// A Lease that still names this candidate is left from a term it no
	// longer has (Campaign runs only without a live term: its process
	// restarted under the same identity, or a resignation failed).
	// client-go would take it over as a renewal, keeping its transition
	// count, so that the new term's token would be the old one's: release
	// it first, so that the acquisition counts a transition. A failure
	// (the API unreachable) leaves it to the LeaderElector, which retries.
	if err := e.release(ctx, lock); err != nil && ctx.Err() != nil {
		cancel()
		return nil, ctx.Err()
	}
	go func() {
		defer close(t.done)
		le.Run(runCtx)
	}()
	select {
	case lctx := <-won:
		t.token = leader.Token(lock.lastTransitions())
		// client-go cancels the leading context when a renewal fails, and
		// when the term is resigned.
		context.AfterFunc(lctx, func() {
			if runCtx.Err() == nil {
				t.Lose(ErrNotRenewed)
			}
			t.Lose(ErrResigned)
		})
		return t, nil
	case <-ctx.Done():
		// Nothing ran: release what may have been acquired meanwhile.
		rctx, rcancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
		defer rcancel()
		t.Resign(rctx)
		return nil, ctx.Err()
	}
}

// Why a term is lost (Term.Err).
var (
	// ErrNotRenewed: client-go did not renew the Lease within the renew
	// deadline (another candidate may hold it now).
	ErrNotRenewed = errors.New("kubeleader: the Lease was not renewed within the renew deadline")
	// ErrResigned: the term was resigned.
	ErrResigned = errors.New("kubeleader: resigned")
)

// term is one acquisition of the Lease.
type term struct {
	e      *Elector
	lock   *recordingLock
	cancel context.CancelFunc // stops the LeaderElector
	done   chan struct{}      // closed when the LeaderElector's Run returned
	token  leader.Token

	leader.Loss // Lost, Err, and Lose
}

func (t *term) Token() leader.Token { return t.token }

// Resign stops the LeaderElector, waits for it (within ctx), and releases
// the Lease if it still names this candidate: the holder cleared, a compare-and-swap on
// the resourceVersion (retried on a conflict), as client-go's release does.
func (t *term) Resign(ctx context.Context) error {
	t.Lose(ErrResigned)
	t.cancel()
	select {
	case <-t.done:
	case <-ctx.Done():
		// The LeaderElector's request in flight outlasts ctx: leave the
		// Lease to expire (the lock is the elector's until it returns).
		return fmt.Errorf("kubeleader: waiting for the elector to stop: %w", ctx.Err())
	}
	return t.e.release(ctx, t.lock)
}

// release clears the Lease's holder if it is this candidate, as client-go's
// release does: a compare-and-swap on the resourceVersion, retried on a
// conflict.
func (e *Elector) release(ctx context.Context, lock resourcelock.Interface) error {
	for {
		rec, _, err := lock.Get(ctx)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("kubeleader: reading the Lease to release it: %w", err)
		case rec.HolderIdentity != e.cfg.Identity:
			return nil // another candidate holds it already
		}
		now := metav1.NewTime(time.Now())
		err = lock.Update(ctx, resourcelock.LeaderElectionRecord{
			LeaderTransitions: rec.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now})
		if !apierrors.IsConflict(err) {
			if err != nil {
				return fmt.Errorf("kubeleader: releasing the Lease: %w", err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// recordingLock is the Lease lock, remembering the leader transitions of
// the last record this candidate wrote, which the acquisition's token is.
// The LeaderElector calls it from one goroutine at a time; Resign, after
// the LeaderElector returned.
type recordingLock struct {
	resourcelock.Interface

	mu          sync.Mutex
	transitions int // guarded by mu
}

func (l *recordingLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Create(ctx, ler)
	if err == nil {
		l.record(ler)
	}
	return err
}

func (l *recordingLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Update(ctx, ler)
	if err == nil {
		l.record(ler)
	}
	return err
}

func (l *recordingLock) record(ler resourcelock.LeaderElectionRecord) {
	l.mu.Lock()
	l.transitions = ler.LeaderTransitions
	l.mu.Unlock()
}

func (l *recordingLock) lastTransitions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.transitions
}
