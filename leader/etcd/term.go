package etcdleader

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/arbor-go/arbor/leader"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Why a term is lost (Term.Err).
var (
	// ErrNoKeepalive: no keepalive succeeded within the renew deadline.
	ErrNoKeepalive = errors.New("etcdleader: no successful keepalive within the renew deadline")
	// ErrLeaseEnded: the lease expired or was revoked (the client's
	// keepalive stream for it ended).
	ErrLeaseEnded = errors.New("etcdleader: the lease expired or was revoked")
	// ErrKeyDeleted: the candidate's key was deleted (a watch saw it).
	ErrKeyDeleted = errors.New("etcdleader: the leader key was deleted")
	// ErrWatchFailed: the watch on the candidate's key ended with an
	// error; whether the key is still there is unknown.
	ErrWatchFailed = errors.New("etcdleader: the watch on the leader key failed")
	// ErrResigned: the term was resigned.
	ErrResigned = errors.New("etcdleader: resigned")
)

// term is one won campaign: a lease kept alive by a session, the
// candidate's key, and the goroutines that watch both. Its fencing token is
// the key's creation revision.
type term struct {
	e       *Elector
	sess    *concurrency.Session
	scancel context.CancelFunc // ends the session's context
	kcancel context.CancelFunc // ends the keepalive subscription
	wcancel context.CancelFunc // ends the watch on the key; nil before the win
	lease   clientv3.LeaseID
	key     string // set before the term is handed out
	rev     int64  // the key's creation revision; set before the term is handed out

	wg sync.WaitGroup // the monitoring goroutines

	leader.Loss // Lost, Err, and Lose
}

func (t *term) Token() leader.Token { return leader.Token(t.rev) }

// keepalives reads the lease's keepalive responses: the term is lost when
// none arrives within the renew deadline of the last one (or of the grant),
// and when the stream ends while the term is not being stopped. It goes on
// reading until the subscription is cancelled, so that the client never
// finds its queue full.
func (t *term) keepalives(ch <-chan *clientv3.LeaseKeepAliveResponse, granted time.Time) {
	defer t.wg.Done()
	r := t.e.cfg.RenewDeadline
	timer := time.NewTimer(r - time.Since(granted))
	defer timer.Stop()
	for {
		select {
		case resp, ok := <-ch:
			if !ok {
				t.Lose(ErrLeaseEnded)
				return
			}
			if resp != nil && resp.TTL > 0 {
				timer.Reset(r)
			}
		case <-timer.C:
			t.Lose(ErrNoKeepalive)
		}
	}
}

// watchKey starts the watch on the candidate's key: its deletion ends the
// term.
func (t *term) watchKey() {
	ctx, cancel := context.WithCancel(context.Background())
	t.wcancel = cancel
	wch := t.e.cfg.Client.Watch(clientv3.WithRequireLeader(ctx), t.key, clientv3.WithRev(t.rev+1))
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for resp := range wch {
			for _, ev := range resp.Events {
				if ev.Type == mvccpb.DELETE {
					t.Lose(ErrKeyDeleted)
				}
			}
			if resp.Err() != nil && ctx.Err() == nil {
				t.Lose(ErrWatchFailed)
			}
		}
		if ctx.Err() == nil {
			t.Lose(ErrWatchFailed)
		}
	}()
}

// stop ends the monitoring goroutines and the session's keepalives, and
// waits for the goroutines.
func (t *term) stop() {
	if t.wcancel != nil {
		t.wcancel()
	}
	t.kcancel()
	t.sess.Orphan()
	t.scancel()
	t.wg.Wait()
}

// Resign stops renewing and revokes the lease, which deletes the key.
// Without a connection the revocation fails; the lease then expires after
// its TTL, as nothing renews it any more.
func (t *term) Resign(ctx context.Context) error {
	t.Lose(ErrResigned) // first: stopping ends the keepalive stream too
	t.stop()
	_, err := t.e.cfg.Client.Revoke(ctx, t.lease)
	return err
}
