package arborprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/arbor-go/arbor/supervisor"
)

// Label names.
const (
	labelSupervisor = "supervisor"
	labelChild      = "child"
	labelState      = "state"
	labelClass      = "class"
	labelKind       = "kind"
	labelReason     = "reason"
)

// states lists every child state, in the order arbor_children reports them.
var states = []supervisor.State{
	supervisor.StateStarting, supervisor.StateRunning, supervisor.StateBackoff,
	supervisor.StateRestarting, supervisor.StateStopping, supervisor.StateStopped,
	supervisor.StateStuck, supervisor.StateHung,
}

// labelled maps one label value of a counter metric to a field of totals.
type labelled struct {
	value string
	field int
}

// counterDesc is one counter metric: either a single series per supervisor
// (field >= 0) or one per value of its second label (by).
type counterDesc struct {
	desc  *prometheus.Desc
	field int        // the totals field, or -1 when by is used
	by    []labelled // the values of the second label and their fields
}

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// counterDescs are the counter metrics, read from supervisor.Counters.
var counterDescs = []counterDesc{
	{desc: newDesc("arbor_starts_total",
		"Incarnations of children launched by the supervisor, over all its runs.",
		labelSupervisor), field: fStarts},
	{desc: newDesc("arbor_restarts_total",
		"Restarts of children decided by the supervisor, over all its runs: one per child restarted, so a OneForAll or RestForOne group restart adds one for each child it restarts.",
		labelSupervisor), field: fRestarts},
	{desc: newDesc("arbor_exits_total",
		"Exits of the supervisor's children by class: normal (returned nil by itself), shutdown (stopped when asked: shutdown, Remove, manual Restart), group (stopped to restart with its group after a sibling failed), abnormal (failed).",
		labelSupervisor, labelClass), field: -1, by: []labelled{
		{"normal", fExitsNormal}, {"shutdown", fExitsShutdown}, {"group", fExitsGroup}, {"abnormal", fExitsAbnormal},
	}},
	{desc: newDesc("arbor_failures_total",
		"Failures of the supervisor's children by kind: error (returned an error; includes start timeouts of restarted children), panic, start_timeout, hung (missed its liveness deadline). Kinds overlap: do not sum them; arbor_exits_total{class=\"abnormal\"} is the total.",
		labelSupervisor, labelKind), field: -1, by: []labelled{
		{"error", fErrors}, {"panic", fPanics}, {"start_timeout", fStartTimeouts}, {"hung", fHangs},
	}},
	{desc: newDesc("arbor_start_failures_total",
		"Children that failed to start while the supervisor waited for their start.",
		labelSupervisor), field: fStartFailures},
	{desc: newDesc("arbor_stop_timeouts_total",
		"Children that did not stop within their shutdown timeout and were reported stuck.",
		labelSupervisor), field: fStopTimeouts},
	{desc: newDesc("arbor_escalations_total",
		"Times the supervisor gave up, by reason: intensity, decider, backoff or stuck.",
		labelSupervisor, labelReason), field: -1, by: []labelled{
		{"intensity", fEscIntensity}, {"decider", fEscDecider},
		{"backoff", fEscBackoff}, {"stuck", fEscStuck},
	}},
}

// Gauges of the live tree.
var (
	descRunning = newDesc("arbor_supervisor_running",
		"1 while the supervisor runs; 0 while it is not running (its parent is restarting it, or it stopped) and its counters show their last values.",
		labelSupervisor)
	descChildren = newDesc("arbor_children",
		"Children of a running supervisor by state.",
		labelSupervisor, labelState)
	descTreeReady = newDesc("arbor_tree_ready",
		"1 when the tree is ready: running, past its start phase, not shutting down, every WaitReady child running and ready.",
		labelSupervisor)
	descTreeAlive = newDesc("arbor_tree_alive",
		"0 when a child anywhere in the tree is stuck (did not stop within its shutdown timeout and still runs), else 1.",
		labelSupervisor)
	descTreeStuck = newDesc("arbor_tree_stuck_children",
		"Children anywhere in the tree that are stuck: they did not stop within their shutdown timeout and their goroutines still run.",
		labelSupervisor)
)

// Gauges of each child, with WithChildLabels.
var (
	descChildState = newDesc("arbor_child_state",
		"1 for the current state of each child; the series of other states are absent.",
		labelSupervisor, labelChild, labelState)
	descChildRestarts = newDesc("arbor_child_restarts",
		"Restarts of the child in its supervisor's current run (a gauge: it starts again from 0 with each run).",
		labelSupervisor, labelChild)
	descChildReady = newDesc("arbor_child_ready",
		"1 when the child is running and ready, else 0.",
		labelSupervisor, labelChild)
)
