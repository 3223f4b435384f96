package testutil_test

import (
	"testing"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
)

// Receive returns what comes, however long after it starts waiting.
func TestReceiveWaitsForTheValue(t *testing.T) {
	ch := make(chan int)
	go func() { ch <- 7 }()
	if got := testutil.Receive(t, ch, "the value"); got != 7 {
		t.Errorf("Receive = %d, want 7", got)
	}
}

// Expiry is bound to the binary's deadline, not to a guess: with one, it
// fires after the time left less the grace; the context ends no later.
func TestExpiryFollowsTheBinaryDeadline(t *testing.T) {
	at, ok := t.Deadline()
	ctx, cancel := testutil.Context(t)
	defer cancel()
	cd, cok := ctx.Deadline()
	switch {
	case !ok && cok:
		t.Errorf("context deadline %v without a binary deadline", cd)
	case ok && (!cok || cd.After(at) || time.Until(cd) < time.Until(at)*8/10):
		t.Errorf("context deadline %v (set: %v) for a binary deadline %v", cd, cok, at)
	}
	if dl := testutil.Deadline(t); dl.IsZero() == ok || (ok && dl.After(at)) {
		t.Errorf("Deadline = %v for a binary deadline %v (set: %v)", dl, at, ok)
	}
	if ch := testutil.Expiry(t); (ch == nil) == ok {
		t.Errorf("Expiry channel %v with a binary deadline: %v", ch, ok)
	}
}

// Patience is the binary's -timeout less the grace, once flags are parsed.
func TestPatienceFollowsTheBinaryTimeout(t *testing.T) {
	p := testutil.Patience()
	if at, ok := t.Deadline(); ok {
		if p <= 0 || p > time.Until(at)+time.Hour {
			t.Errorf("Patience = %v with a deadline %v away", p, time.Until(at))
		}
	} else if p < 100*365*24*time.Hour {
		t.Errorf("Patience = %v without a deadline", p)
	}
}
