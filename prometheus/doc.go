// Package arborprom exports the state of an arbor supervision tree as
// Prometheus metrics, through a prometheus.Collector
// (github.com/prometheus/client_golang).
//
// It lives in its own module, github.com/arbor-go/arbor/prometheus, so that
// the library module does not depend on client_golang. Its package name is
// arborprom rather than prometheus so that it can be imported beside
// client_golang's prometheus package without renaming either.
//
//	c, err := arborprom.NewCollector(root)
//	if err != nil { ... }
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(c)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// # Metrics
//
// Every metric has a supervisor label: the tree path of a supervisor, such
// as "root/db". Counters, one set per supervisor in the tree:
//
//	arbor_starts_total{supervisor}                incarnations launched
//	arbor_restarts_total{supervisor}              restarts decided, one per child restarted
//	arbor_exits_total{supervisor,class}           class: normal, shutdown, group, abnormal
//	arbor_failures_total{supervisor,kind}         kind: error, panic, start_timeout, hung
//	arbor_start_failures_total{supervisor}        children that failed to start
//	arbor_stop_timeouts_total{supervisor}         children reported stuck at a stop
//	arbor_escalations_total{supervisor,reason}    reason: intensity, decider, backoff, stuck
//
// Each counts the events of the supervisor's own children (or, for
// escalations, of the supervisor itself); the supervisors below it have
// their own series. The failure kinds overlap, as in supervisor.Counters:
// kind="error" includes the start timeouts of restarted children. Use
// arbor_exits_total{class="abnormal"} for the number of failures. A group
// restart (OneForAll, RestForOne) adds one to arbor_restarts_total for
// each child it restarts, as supervisor.Counters.Restarts does, and counts
// the stops of the failed child's siblings as class="group": for their
// restart type they are shutdown exits, but they are no shutdown.
//
// Gauges, read from the live tree at each scrape:
//
//	arbor_supervisor_running{supervisor}          1 while the supervisor runs
//	arbor_children{supervisor,state}              children of a running supervisor by state
//	arbor_tree_ready{supervisor}                  1 when the whole tree is ready (as /readyz)
//	arbor_tree_alive{supervisor}                  0 when a child in the tree is stuck (as /healthz)
//	arbor_tree_stuck_children{supervisor}         stuck children in the whole tree
//
// The tree gauges carry the path of the collector's root. Stuck children of
// one supervisor are arbor_children{state="stuck"}; children found hung
// (see supervisor.Liveness), until their incarnation returns,
// arbor_children{state="hung"}, and each hang adds one to
// arbor_failures_total{kind="hung"}. With WithChildLabels,
// per child (child is the child's name, supervisor its parent's path):
//
//	arbor_child_state{supervisor,child,state}     1 for the child's current state
//	arbor_child_restarts{supervisor,child}        restarts in the parent's current run
//	arbor_child_ready{supervisor,child}           1 when running and ready
//
// # Singletons
//
// A LeaderCollector (NewLeaderCollector) reports the singletons of a
// replica (package leader), from Singleton.Stats at each scrape. Every
// series has an election label, the Singleton's election name
// (Config.Election); the series of one replica describe what that replica
// did, and a dashboard sums or compares them across replicas by their
// instance label:
//
//	arbor_leader_terms_won_total{election}          terms won
//	arbor_leader_terms_lost_total{election}         terms the backend reported lost
//	arbor_leader_terms_resigned_total{election}     terms resigned (after the actor returned)
//	arbor_leader_terms_kept_total{election}         incarnations that led on under a kept term
//	arbor_leader_fail_stops_total{election}         calls of the exit function (fail-stop)
//	arbor_leader_leading{election}                  1 while the actor runs under a term
//	arbor_leader_token{election}                    fencing token of the current or last term
//	arbor_leader_start_wait_seconds{election}       summary: win to actor start
//	arbor_leader_stop_seconds{election}             summary: loss to actor return
//	arbor_leader_last_start_wait_seconds{election}  the last start wait
//	arbor_leader_last_stop_seconds{election}        the last stop after a loss
//
// The hand-over times are summaries without quantiles (a _sum and a
// _count) and gauges of the last value, not histograms. Stats keeps
// running sums and counts, which a scrape reads without losing the
// hand-overs that happened since the last one; rate(_sum) / rate(_count)
// is the mean over any window. A histogram would need the bucket of each
// hand-over, and so either buckets fixed inside package leader (a metrics
// layout in a library that has no metrics dependency) or a callback per
// hand-over (user code on the Singleton's path through the hand-over,
// which must stay short and cannot fail). Hand-overs are rare and their
// times are set by configuration: the start wait is the stop bound plus
// the drift margin, and the stop takes at most the stop bound (beyond it
// is a fail-stop, counted by arbor_leader_fail_stops_total). The mean and
// the last value show a stop drifting towards its bound; an alert compares
// arbor_leader_last_stop_seconds with the configured stop bound.
//
// A fail-stop ends the process by default, so the scrape after it comes
// from a new process whose counters start at 0: the durable record is the
// fail-stop's log line, and a restart of the replica. The token is a
// float64 in the exposition: exact up to 2^53.
//
// # Counters never undercount
//
// The counters come from supervisor.Counters, running totals counted inside
// each supervisor where the events happen, before any queue. The collector
// needs no observer or subscription: an observer's full queue, which drops
// events, takes nothing away from the metrics. A supervisor's totals cover
// all its runs since New.
//
// # Subtrees that are not running
//
// Each scrape takes Supervisor.Snapshot of the root, so the collector sees
// the whole tree, nested supervisors with observers of their own included,
// and can be attached to a tree that is already running. While a parent is
// restarting a child supervisor (or the root is not running), the snapshot
// shows that supervisor without its run and without the supervisors below
// it. The collector then reports, for it and for every supervisor below it
// that it saw before, the last counter values it read, with
// arbor_supervisor_running 0; their arbor_children series are absent until
// they run again. When the subtree runs again, its counters go on from
// there: a supervisor's totals persist across its runs.
//
// A counter series of a supervisor path therefore never goes down while
// the path stays in the tree, even when the supervisor at that path is
// replaced (a child supervisor removed and added again, or made afresh by
// an init hook in each run): the collector remembers what the supervisor
// it replaced had counted and adds the new one's totals to it. It
// recognises a replacement by a total lower than last read; a new
// supervisor that has already counted as much as the old one in every
// total by the next scrape is taken for the old one, and what the old one
// counted after the last scrape is not seen. The same holds for what a
// supervisor counts between the last scrape while it runs and the end of
// its run, until it runs again. A
// supervisor that leaves the tree (its parent removed it) leaves the
// collector's memory at the next scrape, and its series are no longer
// reported; Prometheus marks them stale. If a supervisor comes back later
// under the same path, its series start again from its own totals, which
// Prometheus's rate and increase read as a counter reset.
//
// # Cardinality
//
// Each supervisor path makes 23 series; each child, with
// WithChildLabels, 3 more; each singleton of a LeaderCollector 13. Supervisors and children added at run time with
// Supervisor.Add make new series under their names, and removed ones
// vanish. A tree that adds children under ever new names makes series
// without bound over time in Prometheus: keep such names to a fixed set, or
// leave WithChildLabels off and put such dynamic children under workers
// rather than supervisors.
//
// Several trees can share a registry when their root names differ; to tell
// processes or instances apart, wrap the registerer with
// prometheus.WrapRegistererWith and a constant label.
package arborprom
