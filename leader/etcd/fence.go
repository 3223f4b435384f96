package etcdleader

import (
	"context"
	"errors"

	"github.com/arbor-go/arbor/leader"
	clientv3 "go.etcd.io/etcd/client/v3"
)

var (
	// ErrFenced is returned by Txn when the term no longer holds the
	// leadership in etcd: its key is gone or was created again.
	ErrFenced = errors.New("etcdleader: fenced: the term no longer holds the leadership")
	// ErrNoTerm is returned by Fence and Txn for a context that carries no
	// term of this package (one not derived from a Singleton's actor's
	// context with an etcd Elector).
	ErrNoTerm = errors.New("etcdleader: the context carries no etcd term")
)

// Fence returns the comparison that holds while the term of ctx (the
// context of a Singleton's actor, or one derived from it) still holds the
// leadership: the candidate's key exists with the creation revision it had
// when the term was won (the token). It compares the creation revision, not
// the modification revision, which Proclaim changes.
func Fence(ctx context.Context) (clientv3.Cmp, error) {
	t, ok := leader.TermFrom(ctx)
	et, _ := t.(*term)
	if !ok || et == nil {
		return clientv3.Cmp{}, ErrNoTerm
	}
	return clientv3.Compare(clientv3.CreateRevision(et.key), "=", et.rev), nil
}

// Txn runs ops in one transaction that etcd applies only while the term of
// ctx holds the leadership (see Fence), so that the late writes of a
// former leader (paused, cut off, slow to notice its loss) fail at etcd
// itself, not only in its own belief. It returns ErrFenced when etcd
// refused them. ctx also bounds the request: a caller that writes after
// its actor's context was cancelled can pass
// leader.WithTerm(otherCtx, term) instead.
func Txn(ctx context.Context, kv clientv3.KV, ops ...clientv3.Op) (*clientv3.TxnResponse, error) {
	cmp, err := Fence(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := kv.Txn(ctx).If(cmp).Then(ops...).Commit()
	if err != nil {
		return nil, err
	}
	if !resp.Succeeded {
		return resp, ErrFenced
	}
	return resp, nil
}
