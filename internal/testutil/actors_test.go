package testutil_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/internal/testutil"
)

// Blocker returns nil once cancelled; FailOn returns what it is sent, or
// nil once cancelled.
func TestFaultActors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 2)
		fail := make(chan error)
		go func() { done <- testutil.Blocker.Run(ctx) }()
		go func() { done <- testutil.FailOn(fail).Run(t.Context()) }()
		boom := errors.New("boom")
		fail <- boom
		if err := <-done; err != boom {
			t.Errorf("FailOn returned %v, want the error sent", err)
		}
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Blocker returned %v before its context was cancelled", err)
		default:
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Blocker returned %v after the cancel, want nil", err)
		}
	})
}
