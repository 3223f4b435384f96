package etcdleader

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// campaign puts the candidate's key under lease and waits until every key
// of the election created before it is gone, as
// concurrency.Election.Campaign does, with the same key layout (the
// prefix, a slash, the lease's ID in hexadecimal), so that candidates of
// either kind share an election. It returns the key and its creation
// revision.
//
// Rejected: calling concurrency.Election.Campaign. Stopped, it deletes its
// key with the client's lifetime context, which waits for an answer as
// long as a partition lasts, so that the stop of a cut-off standby hangs.
// Here a stopped campaign returns at once; the caller revokes the lease
// within the renew deadline, and the key goes with it (or expires with
// the lease).
func (e *Elector) campaign(ctx context.Context, lease clientv3.LeaseID) (key string, rev int64, err error) {
	cli := e.cfg.Client
	pfx := e.cfg.Prefix + "/"
	key = fmt.Sprintf("%s%x", pfx, lease)
	resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, e.cfg.Value, clientv3.WithLease(lease))).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return "", 0, err
	}
	rev = resp.Header.Revision
	if !resp.Succeeded {
		// The lease is new: only this attempt's own put, answered but not
		// received, can have made the key.
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) != 1 || clientv3.LeaseID(kvs[0].Lease) != lease {
			return "", 0, errKeyGone
		}
		rev = kvs[0].CreateRevision
	}
	for {
		// The newest key created before ours: its candidate leads, or waits
		// for one older still.
		opts := append(clientv3.WithLastCreate(), clientv3.WithMaxCreateRev(rev-1))
		resp, err := cli.Get(ctx, pfx, opts...)
		if err != nil {
			return "", 0, err
		}
		if len(resp.Kvs) == 0 {
			return key, rev, nil
		}
		if err := waitDelete(ctx, cli, string(resp.Kvs[0].Key), resp.Header.Revision); err != nil {
			return "", 0, err
		}
	}
}

// waitDelete waits until key is deleted at a revision from rev on.
func waitDelete(ctx context.Context, cli *clientv3.Client, key string, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for wr := range cli.Watch(wctx, key, clientv3.WithRev(rev)) {
		if err := wr.Err(); err != nil {
			return err
		}
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.DELETE {
				return nil
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("the watch for the deletion of " + key + " ended")
}
