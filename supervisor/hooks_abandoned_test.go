package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// TestHookThatIgnoresItsContextIsAbandonedWithoutABudget checks that
// without a shutdown budget an init hook, or a WithShared state maker,
// that never returns holds Run no longer than a worker that never stops:
// it is abandoned after policy.DefaultShutdownTimeout and reported stuck
// as root/(init) or root/(shared), with the time Run waited for it.
func TestHookThatIgnoresItsContextIsAbandonedWithoutABudget(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
		opt  func(release chan struct{}) supervisor.Option
	}{
		{"init", "root/(init)", func(release chan struct{}) supervisor.Option {
			return supervisor.WithInit(func(context.Context, *supervisor.Supervisor) error { <-release; return nil })
		}},
		{"shared", "root/(shared)", func(release chan struct{}) supervisor.Option {
			return supervisor.WithShared(func() any { <-release; return nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				sup := ssNew(t, "root", tc.opt(release), supervisor.WithChildren(supervisor.Child{Name: "a",
					Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })}))
				ctx, cancel := context.WithCancel(t.Context())
				done := ssGo(ctx, sup)
				time.Sleep(time.Second)
				cancel()
				t0 := time.Now()
				err, ok := bsRunUntil(done, time.Hour)
				if !ok {
					t.Fatalf("Run has not returned an hour after cancel: it waits for the hook for good")
				}
				if took := time.Since(t0); took != policy.DefaultShutdownTimeout {
					t.Errorf("Run returned %v after cancel, want %v", took, policy.DefaultShutdownTimeout)
				}
				var se *supervisor.StuckError
				if !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != tc.path ||
					se.Stuck[0].Waited != policy.DefaultShutdownTimeout {
					t.Errorf("Run = %v; want %s stuck after %v", err, tc.path, policy.DefaultShutdownTimeout)
				}
			})
		})
	}
}
