// Package etcdleader is the etcd backend of package leader: an Elector on
// go.etcd.io/etcd/client/v3/concurrency, and a fencing helper that makes
// writes conditional, in etcd itself, on still holding the leadership.
//
// Each campaign grants a lease of Config.TTL, keeps it alive with a
// concurrency.Session and campaigns under Config.Prefix as a
// concurrency.Election does (the same keys; candidates of both kinds share
// an election). A won term is lost (leader.Term.Lost) when no keepalive
// has succeeded for Config.RenewDeadline, when the lease ends (expired or
// revoked), or when a watch sees the candidate's key deleted. Resigning
// stops the keepalives and revokes the lease, which deletes the key. The
// fencing token is the key's creation revision; Fence and Txn compare it.
//
// The lease TTL is whole seconds (etcd's minimum is about 2s) and the
// client renews a third of it after the last reply, from a loop that wakes
// every 0.5s, so a renew deadline much below the TTL trips on one late
// reply (New refuses one of TTL/3 + 0.5s or less, which healthy
// keepalives would miss). Constants with room, as the tests use: TTL 6s,
// renew deadline 3.5s, stop bound 1.5s (with the default drift margin of
// 0.6s, 1.5s < 6s - 3.5s - 0.6s).
//
// This is a module of its own, so that the library module does not depend
// on etcd; like etcd v3.7, it needs Go 1.26.
package etcdleader
