package supervisor

import (
	"testing"
	"time"
)

// TestSinkPublishAllocatesNothing checks that queuing an event to an open
// sink moves nothing to the heap: an Event is large, and a closure over
// publish's argument (the delivery of a late event after close) once made
// every queued event escape, an allocation of a whole Event per sink per
// event (BenchmarkRestartLogged: 96 B to 608 B and 2 to 4 allocations per
// logged restart).
func TestSinkPublishAllocatesNothing(t *testing.T) {
	k := newSink(sinkLog, "root/(logger)", 1, func(Event) {})
	e := Event{Kind: EventStarted, Time: time.Now(), Supervisor: "root", Path: "root/w", Child: "w"}
	allocs := testing.AllocsPerRun(1000, func() {
		k.publish(e) // the queue holds one event: the rest are counted as dropped
	})
	if allocs != 0 {
		t.Fatalf("publish allocates %v times per event, want 0", allocs)
	}
}
