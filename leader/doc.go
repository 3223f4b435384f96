// Package leader runs a child on exactly one replica at a time: a
// Singleton is an actor whose own actor runs only while this replica holds
// the leadership of a named election, such as a scheduler, a compaction
// job or a poller of an API that allows one client.
//
// The package holds the discipline; the election itself is an existing
// engine's, behind the Elector interface: etcd (module
// github.com/arbor-go/arbor/leader/etcd) or the Kubernetes API's Leases
// (github.com/arbor-go/arbor/leader/kube), so that this module depends on
// neither. Package leadertest has an election in memory for tests.
//
// # The rules
//
// Let TTL be how long the backend keeps a silent leader's leadership, R
// the renew deadline (the leader treats its leadership as lost once it has
// not renewed for R, R < TTL), S the stop bound (Config.StopBound) and M
// the drift margin (Config.DriftMargin, a tenth of the TTL by default).
// New requires S < TTL - R - M, and returns a *supervisor.ConfigError
// (matching ErrBounds) otherwise.
//
//   - Waiting: while it does not lead, the Singleton campaigns and waits.
//     It is ready (it calls actor.Ready at once: a standby replica passes
//     its readiness probe), running, with the status "waiting for
//     leadership" (actor.SetStatus): the tree, the snapshot and the page
//     show it waiting, not failing.
//   - Stop before start: after winning, the Singleton waits S + M
//     (StartDelay) before it starts its actor, so that a former leader
//     that learned of its loss at the same moment (a revoked lease, a
//     deleted key) or a little later has stopped; its own previous actor
//     has always returned first (a Singleton runs one actor at a time, and
//     one Run at a time: a second concurrent Run returns ErrAlreadyRunning).
//   - Losing early and stopping in time: the moment the backend reports
//     the term lost (Term.Lost: no renewal for R, the key deleted, the
//     lease revoked), the actor's context is cancelled with a cause
//     matching ErrLeadershipLost. The actor must return within S, before
//     the TTL lets another replica win (that needs TTL - R after the
//     loss was noticed, and S + M more before its actor starts).
//   - Resign after return: the Singleton resigns a term (Term.Resign:
//     deletes its key, revokes its lease) only after its actor returned,
//     never before, so that a successor's wait cannot begin while the old
//     actor runs.
//   - A loss is not a failure: after the actor returned, the Singleton
//     resigns and campaigns again inside the same incarnation. The
//     supervisor sees nothing: no restart, no intensity, no backoff.
//   - Fail-stop: an actor that has not returned S after the loss ends the
//     process. The Singleton writes one log line (at Error, through the
//     child's logger, or to stderr when that logger does not take errors)
//     and calls Config.Exit (os.Exit(1) by default) without waiting for
//     the tree's ordered shutdown, which could outlast the takeover. This
//     is the one deliberate exception to "nothing a child does can crash
//     the supervisor", limited to the children a program made singletons:
//     two actors running at once is worse than a restart of the process.
//     A stop without a loss (a shutdown, Remove, Restart) is no reason to
//     end the process, however long the actor takes: the term is still
//     held and renewed, so no other replica can lead before the actor
//     returned and the Singleton resigned. The child's shutdown timeout
//     applies (Child sets StopBound + RenewDeadline + DriftMargin); a child
//     abandoned past it holds its term until its actor returns, or until
//     the process ends and the lease expires. A loss during such a stop
//     starts the stop bound, and the fail-stop, from the loss.
//   - Fencing: the actor's context carries the term (TermFrom) and its
//     fencing token (TokenFrom): etcd's leader key's creation revision,
//     the Kubernetes Lease's transition count. Stores can refuse stale
//     tokens; the etcd backend has a helper that makes a write conditional
//     on the term in etcd itself.
//
// # Leadership and the tree
//
// The Singleton learns why it stops from context.Cause of its
// incarnation's context:
//
//	stop of the child                            leadership
//	shutdown of the tree (a clean stop)          resigned after the actor returned
//	Supervisor.Remove                            resigned after the actor returned
//	escalation of its supervisor                 resigned after the actor returned
//	Supervisor.Restart, restart with its group   kept: the next incarnation leads on at once
//	  (during the start delay)                   kept: the next one waits out what is left of it
//	the actor fails (error, panic, Goexit, hang) kept for Config.Hold, then resigned
//	  (during a stop of the child)               as the stop says (above)
//	the actor returns nil                        resigned; the child ends normally
//
// A failed child is not running, and its supervisor tells it nothing
// after its return: the kept term has a deadline, Hold (the TTL by
// default: as long as the leadership of a replica that crashed would
// last). An incarnation that starts within Hold (the supervisor's restart,
// after its backoff) leads on under the same term and token, without an
// election and without the start delay: no other replica can have led
// meanwhile. Past Hold the term is resigned: the supervisor gave up on the
// child (an escalation, a decider's stop, a Remove or a shutdown during the
// backoff), or its backoff is longer than Hold (set Hold above the child's
// longest backoff to keep the leadership through it). An incarnation that
// starts while that resignation runs campaigns only once it ended: a
// campaign under the same identity (the Kubernetes Lease's holder) could
// otherwise win as a renewal what the resignation then gives up. A term
// lost while kept is resigned when the next incarnation finds it.
//
// # What it reports
//
// Every step is a log entry through the child's logger
// (supervisor.Logger, with the fields "path", "election" and "token"):
// campaigning (Debug), won the election and the start delay, actor starts,
// lost leadership and why (Warn), actor returned after the loss and how
// long it took, resigned or kept and why, fail-stop (Error). The status
// text (Snapshot.Status, the page) says "waiting for leadership", "won
// leadership (token N); starting after D", "leader (token N)" or "lost
// leadership (token N); stopping"; each change of it is a
// supervisor.EventStatus (observers, the health page's event list, Debug
// log entries), so elections and token changes are events of the tree.
// Stats has totals, the last hand-over times (the start delay waited, the
// time from a loss to the actor's return) and their running sums, for
// metrics: the Prometheus module exports them per election
// (arborprom.NewLeaderCollector in github.com/arbor-go/arbor/prometheus).
// A loss is no exit: a Singleton's incarnation runs across elections.
//
// # Heartbeats
//
// A singleton child may have a liveness deadline in the beat form
// (supervisor.Liveness): while its actor leads, the actor's own
// actor.Beat calls count (its context derives from the incarnation's);
// while no actor runs under a live term (waiting for leadership, the start
// delay, the stop after a loss, which StopBound bounds instead), heartbeats
// do not apply, and the Singleton beats on the child's behalf, every third
// of the deadline (supervisor.BeatTimeout). An actor that is a tree (a
// *supervisor.Supervisor) does not beat: its children's beats are theirs,
// not the singleton child's, so give the tree's children a Liveness instead
// (or use the probe form). In the probe form the
// supervisor calls the probe whatever the Singleton does: make it succeed
// on a standby.
package leader
