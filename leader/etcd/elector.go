package etcdleader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/supervisor"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
)

// Config describes one candidate in one election.
type Config struct {
	// Client is the candidate's etcd client. The Elector does not close
	// it.
	Client *clientv3.Client
	// Prefix is the election's key prefix, such as
	// "/myapp/elections/scheduler/". Each candidate's key is the prefix, a
	// slash (concurrency.Election adds one) and its lease's ID in
	// hexadecimal, such as "/myapp/elections/scheduler//694d9a1b2c3d4e5f".
	Prefix string
	// Value is the candidate's value under its key, such as its host name,
	// for people and tools that read the election. Empty is allowed.
	Value string
	// TTL is the lease's time to live: whole seconds, at least 2s (etcd's
	// minimum lease TTL is about that) and at most 9000000000s (its
	// maximum).
	TTL time.Duration
	// RenewDeadline is how long the candidate goes without a successful
	// keepalive before it treats its leadership as lost. It must be
	// shorter than TTL, and above TTL/3 + 0.5s: the client sends a
	// keepalive a third of the TTL after the last reply, from a loop that
	// wakes every 0.5s. Keep room for one late reply (TTL 6s, renew
	// deadline 3.5s, stop bound 1.5s fit).
	RenewDeadline time.Duration
	// RetryDelay is the pause between two failed attempts to campaign (a
	// lost connection, a lease that expired while waiting). Zero means a
	// third of the TTL.
	RetryDelay time.Duration
	// Logger receives an entry for each failed attempt to campaign. Nil
	// means none.
	Logger *zap.Logger
}

// maxLeaseTTL is etcd's largest lease TTL in seconds (lease.MaxLeaseTTL in
// its server): it refuses to grant a longer one.
const maxLeaseTTL = 9_000_000_000

// keepaliveTick is how often the etcd client's keepalive loop wakes up to
// send the keepalives that are due (a third of the TTL after the last
// reply): a healthy lease may go TTL/3 + keepaliveTick between replies.
const keepaliveTick = 500 * time.Millisecond

// Elector is a candidate in an etcd election; it implements
// leader.Elector. Make one with New.
type Elector struct {
	cfg Config
}

// New returns an Elector for cfg. A bad value is a
// *supervisor.ConfigError naming the field.
func New(cfg Config) (*Elector, error) {
	switch {
	case cfg.Client == nil:
		return nil, &supervisor.ConfigError{Field: "Config.Client", Value: nil, Reason: "must not be nil"}
	case cfg.Prefix == "" || !strings.HasSuffix(cfg.Prefix, "/"):
		return nil, &supervisor.ConfigError{Field: "Config.Prefix", Value: cfg.Prefix, Reason: `must be a key prefix ending in "/"`}
	case cfg.TTL < 2*time.Second || cfg.TTL%time.Second != 0 || cfg.TTL/time.Second > maxLeaseTTL:
		return nil, &supervisor.ConfigError{Field: "Config.TTL", Value: cfg.TTL,
			Reason: "must be whole seconds, at least 2s and at most etcd's largest lease TTL, 9000000000s"}
	case cfg.RenewDeadline <= 0 || cfg.RenewDeadline >= cfg.TTL:
		return nil, &supervisor.ConfigError{Field: "Config.RenewDeadline", Value: cfg.RenewDeadline,
			Reason: "must be positive and shorter than the TTL " + cfg.TTL.String(), Err: leader.ErrBounds}
	case cfg.RenewDeadline <= cfg.TTL/3+keepaliveTick:
		return nil, &supervisor.ConfigError{Field: "Config.RenewDeadline", Value: cfg.RenewDeadline,
			Reason: "must be above TTL/3 + " + keepaliveTick.String() + " = " + (cfg.TTL/3 + keepaliveTick).String() +
				": the client's keepalives of a healthy lease may be that far apart", Err: leader.ErrBounds}
	case cfg.RetryDelay < 0:
		return nil, &supervisor.ConfigError{Field: "Config.RetryDelay", Value: cfg.RetryDelay, Reason: "must not be negative"}
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = cfg.TTL / 3
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Elector{cfg: cfg}, nil
}

// Timing returns the TTL and renew deadline of the configuration.
func (e *Elector) Timing() leader.Timing {
	return leader.Timing{TTL: e.cfg.TTL, RenewDeadline: e.cfg.RenewDeadline}
}

// Campaign blocks until the candidate leads the election, or ctx is done.
// Each attempt grants a new lease, campaigns under it as
// concurrency.Election does (stopped if the lease ends meanwhile: a
// campaign that has not noticed its lost session would otherwise go on
// waiting, or return success with its key gone), and checks after the win
// that its key is still there with its lease; a failed attempt revokes its
// lease (within the renew deadline) and is retried after RetryDelay.
// Stopped, it waits for the server no longer than that revocation.
func (e *Elector) Campaign(ctx context.Context) (leader.Term, error) {
	for {
		t, err := e.attempt(ctx)
		if err == nil {
			return t, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e.cfg.Logger.Warn("etcdleader: campaign failed; retrying", zap.String("prefix", e.cfg.Prefix),
			zap.Duration("retry_in", e.cfg.RetryDelay), zap.Error(err))
		timer := time.NewTimer(e.cfg.RetryDelay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
	}
}

// attempt is one campaign under a new lease.
func (e *Elector) attempt(ctx context.Context) (_ *term, err error) {
	cli := e.cfg.Client
	grant, err := cli.Grant(ctx, int64(e.cfg.TTL/time.Second))
	if err != nil {
		return nil, fmt.Errorf("granting a lease: %w", err)
	}
	granted := time.Now()
	lease := grant.ID
	// The session keeps the lease alive until it is orphaned; its context
	// is the term's, not the campaign's.
	sctx, scancel := context.WithCancel(context.Background())
	sess, err := concurrency.NewSession(cli, concurrency.WithLease(lease), concurrency.WithContext(sctx),
		concurrency.WithTTL(int(e.cfg.TTL/time.Second)))
	if err != nil {
		scancel()
		e.revoke(lease)
		return nil, fmt.Errorf("starting the session: %w", err)
	}
	fail := func(err error) (*term, error) {
		sess.Orphan()
		scancel()
		e.revoke(lease)
		return nil, err
	}
	// A second subscription to the lease's keepalives (the client sends
	// one request stream per lease): the term's monitor reads it from now
	// on, to know when the lease was last renewed.
	t := &term{e: e, sess: sess, scancel: scancel, lease: lease}
	kctx, kcancel := context.WithCancel(sctx)
	kach, err := cli.KeepAlive(kctx, lease)
	if err != nil {
		kcancel()
		return fail(fmt.Errorf("watching the keepalives: %w", err))
	}
	t.kcancel = kcancel
	t.wg.Add(1)
	go t.keepalives(kach, granted)

	cctx, ccancel := context.WithCancel(ctx)
	stop := context.AfterFunc(sess.Ctx(), ccancel) // the lease ended: stop campaigning
	key, rev, err := e.campaign(cctx, lease)
	stop()
	ccancel()
	if err == nil {
		err = sess.Ctx().Err()
	}
	if err == nil {
		err = e.check(ctx, key, rev, lease)
	}
	if err != nil {
		t.stop()
		return fail(fmt.Errorf("campaigning: %w", err))
	}
	t.key, t.rev = key, rev
	t.watchKey()
	return t, nil
}

// errKeyGone is why a won campaign is discarded.
var errKeyGone = errors.New("the candidate's key is gone or belongs to another lease")

// check verifies that key still exists, created at rev, under lease.
func (e *Elector) check(ctx context.Context, key string, rev int64, lease clientv3.LeaseID) error {
	resp, err := e.cfg.Client.Get(ctx, key)
	if err != nil {
		return err
	}
	if len(resp.Kvs) != 1 || resp.Kvs[0].CreateRevision != rev || clientv3.LeaseID(resp.Kvs[0].Lease) != lease {
		return errKeyGone
	}
	return nil
}

// revoke revokes lease, bounded by the renew deadline (past the TTL it
// expires anyway).
func (e *Elector) revoke(lease clientv3.LeaseID) error {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	_, err := e.cfg.Client.Revoke(ctx, lease)
	return err
}
