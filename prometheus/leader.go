package arborprom

import (
	"fmt"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/supervisor"
)

// LeaderCollector is a prometheus.Collector for the singletons of one
// replica (package leader): per election, the terms it won, lost, resigned
// and kept, its fail-stops, whether its actor leads, its fencing token and
// its hand-over times. Make one with NewLeaderCollector and register it
// beside the tree's Collector.
//
// Each Collect reads Singleton.Stats of every singleton; it keeps no state
// of its own and is safe for concurrent use.
type LeaderCollector struct {
	singletons []*leader.Singleton // immutable
}

// NewLeaderCollector returns a LeaderCollector for singletons, each made
// by leader.New, whose series are labelled with their election
// (Singleton.Election). It returns a *supervisor.ConfigError for a nil or
// zero Singleton, for an election name that is not valid UTF-8, and for
// two singletons of the same election name: one registry cannot tell their
// series apart. (Replicas in one process, as in tests, each need a
// registry of their own, or a registerer wrapped with a constant label by
// prometheus.WrapRegistererWith.)
func NewLeaderCollector(singletons ...*leader.Singleton) (*LeaderCollector, error) {
	seen := make(map[string]int, len(singletons))
	for i, s := range singletons {
		field := fmt.Sprintf("singletons[%d]", i)
		if s == nil || s.Election() == "" {
			value := "a zero Singleton"
			if s == nil {
				value = "nil"
			}
			return nil, &supervisor.ConfigError{Field: field, Value: value,
				Reason: "must be a *leader.Singleton made by leader.New"}
		}
		if !utf8.ValidString(s.Election()) {
			return nil, &supervisor.ConfigError{Field: field, Value: s.Election(),
				Reason: "the election's name must be valid UTF-8 to be a label value"}
		}
		if j, dup := seen[s.Election()]; dup {
			return nil, &supervisor.ConfigError{Field: field, Value: s.Election(),
				Reason: fmt.Sprintf("the election is already reported for singletons[%d]: give each election its own name", j)}
		}
		seen[s.Election()] = i
	}
	return &LeaderCollector{singletons: append([]*leader.Singleton(nil), singletons...)}, nil
}

const labelElection = "election"

// The metrics of a LeaderCollector, one series (or, for the summaries, one
// _sum and one _count) per election.
var (
	descTermsWon = newDesc("arbor_leader_terms_won_total",
		"Terms of leadership of the election won by this replica.",
		labelElection)
	descTermsLost = newDesc("arbor_leader_terms_lost_total",
		"Terms of the election that the backend reported lost (no renewal within the renew deadline, the key deleted, the lease revoked) before this replica resigned them.",
		labelElection)
	descTermsResigned = newDesc("arbor_leader_terms_resigned_total",
		"Terms of the election resigned by this replica, always after its actor returned: after a loss, a stop of the child, the actor's normal end, or a kept term's hold. A resignation that fails counts too; the term then ends with its TTL.",
		labelElection)
	descTermsKept = newDesc("arbor_leader_terms_kept_total",
		"Incarnations of the singleton's child that led on under the term kept by the one before (after its failure or a restart), without an election.",
		labelElection)
	descFailStops = newDesc("arbor_leader_fail_stops_total",
		"Times the actor did not return within its stop bound after a loss and the exit function was called (the default one ends the process).",
		labelElection)
	descLeading = newDesc("arbor_leader_leading",
		"1 while this replica's actor runs under a term of the election (from its start to its return, a stop after a loss included), else 0.",
		labelElection)
	descToken = newDesc("arbor_leader_token",
		"The fencing token of this replica's current or last term of the election; 0 before its first.",
		labelElection)
	descStartWait = newDesc("arbor_leader_start_wait_seconds",
		"Time from winning the election to starting the actor (the stop bound plus the drift margin), observed at each start after a win.",
		labelElection)
	descStop = newDesc("arbor_leader_stop_seconds",
		"Time from the loss of a term to the return of its actor, observed at each loss while the actor ran.",
		labelElection)
	descLastStartWait = newDesc("arbor_leader_last_start_wait_seconds",
		"The last start wait of this replica in the election (see arbor_leader_start_wait_seconds); 0 before the first.",
		labelElection)
	descLastStop = newDesc("arbor_leader_last_stop_seconds",
		"The last time this replica's actor took to return after a loss of the election (see arbor_leader_stop_seconds); 0 before the first.",
		labelElection)
)

var leaderDescs = []*prometheus.Desc{
	descTermsWon, descTermsLost, descTermsResigned, descTermsKept, descFailStops,
	descLeading, descToken, descStartWait, descStop, descLastStartWait, descLastStop,
}

// Describe sends the descriptors of every metric the LeaderCollector
// reports.
func (c *LeaderCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range leaderDescs {
		ch <- d
	}
}

// Collect reads the Stats of each singleton and sends its metrics.
func (c *LeaderCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.singletons {
		st, e := s.Stats(), s.Election()
		send(ch, descTermsWon, prometheus.CounterValue, float64(st.Won), e)
		send(ch, descTermsLost, prometheus.CounterValue, float64(st.Lost), e)
		send(ch, descTermsResigned, prometheus.CounterValue, float64(st.Resigned), e)
		send(ch, descTermsKept, prometheus.CounterValue, float64(st.Kept), e)
		send(ch, descFailStops, prometheus.CounterValue, float64(st.FailStops), e)
		send(ch, descLeading, prometheus.GaugeValue, boolValue(st.Leading), e)
		send(ch, descToken, prometheus.GaugeValue, float64(st.Token), e)
		sendSummary(ch, descStartWait, st.StartWaits, st.StartWaitSum.Seconds(), e)
		sendSummary(ch, descStop, st.StopTooks, st.StopTookSum.Seconds(), e)
		send(ch, descLastStartWait, prometheus.GaugeValue, st.StartWait.Seconds(), e)
		send(ch, descLastStop, prometheus.GaugeValue, st.StopTook.Seconds(), e)
	}
}

// sendSummary sends a summary of count observations adding up to sum,
// without quantiles, or an invalid metric that tells why it could not be
// made.
func sendSummary(ch chan<- prometheus.Metric, d *prometheus.Desc, count uint64, sum float64, labels ...string) {
	m, err := prometheus.NewConstSummary(d, count, sum, nil, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, fmt.Errorf("arborprom: %w", err))
	}
	ch <- m
}
