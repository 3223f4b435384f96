package etcdleader_test

import (
	"context"
	"errors"
	"testing"

	etcdleader "github.com/arbor-go/arbor/leader/etcd"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// A standby cut off from etcd (a partition: its connection open, nothing
// answered) while it campaigns returns from Campaign once its context is
// done, waiting for the server no longer than the renew deadline (to
// revoke its lease, which otherwise expires by itself): a stop of its tree
// during a partition must not hang until the partition ends (a stopped
// concurrency.Election.Campaign deletes its key with the client's lifetime
// context, which waits for an answer).
func TestCampaignStoppedDuringAPartitionReturnsWithoutTheServer(t *testing.T) {
	addr := startEtcd(t)
	direct := newClient(t, addr)
	ea, err := etcdleader.New(etcdleader.Config{Client: direct, Prefix: prefix, Value: "a", TTL: ttl, RenewDeadline: renew})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	ta, err := ea.Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Resign(context.Background())

	p := newProxy(t, addr)
	cb := newClient(t, p.addr())
	eb, err := etcdleader.New(etcdleader.Config{Client: cb, Prefix: prefix, Value: "b", TTL: ttl, RenewDeadline: renew})
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	puts := direct.Watch(wctx, prefix, clientv3.WithPrefix())
	bctx, bcancel := context.WithCancel(ctx)
	defer bcancel()
	returned := make(chan error, 1)
	go func() {
		_, err := eb.Campaign(bctx)
		returned <- err
	}()
	// b's key is there: it waits for a's deletion.
	for waiting := false; !waiting; {
		select {
		case wr := <-puts:
			for _, ev := range wr.Events {
				waiting = waiting || ev.Type == mvccpb.PUT && string(ev.Kv.Value) == "b"
			}
		case <-ctx.Done():
			t.Fatal("b's key never appeared")
		}
	}
	// A request through b's connection, answered after the reply to b's
	// put: b's campaign has its key and waits.
	if _, err := cb.Get(ctx, prefix); err != nil {
		t.Fatal(err)
	}
	p.pause() // a partition: the connection stays open, nothing answers
	bcancel()
	select {
	case err := <-returned:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Campaign = %v, want context.Canceled", err)
		}
	case <-ctx.Done():
		t.Fatal("Campaign did not return while etcd was unreachable")
	}
	p.resume()
}
