package supervisor

import (
	"context"
	"testing"
	"time"
)

// TestEventTimeIsTheInstantOfItsTransition: an event's Time is the instant
// the supervisor read for the transition it reports (the one its intensity
// window and backoff use), not the moment the event was built, which comes
// later by however long the goroutine holding the lock was descheduled
// meanwhile. Its monotonic reading is that instant exactly, so an observer
// measures the intervals the supervisor measured; its wall-clock reading
// is the wall clock's at that instant.
func TestEventTimeIsTheInstantOfItsTransition(t *testing.T) {
	s, err := New("root")
	if err != nil {
		t.Fatal(err)
	}
	r := s.newRun(context.Background(), ctxView{labels: context.Background()})
	// The run began an hour ago; a transition read its clock at one
	// minute; its event is built now.
	r.start = r.start.Add(-time.Hour)
	at := instant(time.Minute)
	s.mu.Lock()
	got := r.wallLocked(at)
	again := r.wallLocked(at)
	s.mu.Unlock()
	if d := got.Sub(r.start); d != time.Minute {
		t.Errorf("event time is %v after the run's start, want the transition's instant, %v", d, time.Minute)
	}
	if !got.Equal(r.timeAt(at)) {
		t.Errorf("event time %v, want the instant %v", got, r.timeAt(at))
	}
	if again != got {
		t.Errorf("second event of the same transition at %v, want %v: the wall clock is read once per transition", again, got)
	}
}
