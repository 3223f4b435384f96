package testutil

import (
	"context"

	"github.com/arbor-go/arbor/supervisor"
)

// Start runs sup in a goroutine, with a context of its own. stop cancels
// that context and returns what Run returned; it must be called once, so
// that the goroutine ends before the test does.
func Start(sup *supervisor.Supervisor) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}
