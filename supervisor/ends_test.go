package supervisor_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"github.com/oklog/run"
	"go.uber.org/zap/zapcore"
)

// TestEndsSupervisor: one setting makes a child's end the supervisor's. A
// nil return or oklog/run's signal error stops the tree cleanly (Run
// returns nil, no warning is logged); any other error or a panic follows
// the policy (here: restarted).
func TestEndsSupervisor(t *testing.T) {
	tests := []struct {
		name    string
		end     func() error // what the child's first incarnation does
		stopped bool         // the supervisor stops by itself
	}{
		{"signal", func() error { return run.SignalError{Signal: syscall.SIGTERM} }, true},
		{"wrapped signal", func() error { return errors.Join(errors.New("bye"), run.SignalError{Signal: syscall.SIGINT}) }, true},
		{"nil", func() error { return nil }, true},
		{"error", func() error { return errors.New("boom") }, false},
		{"panic", func() error { panic("boom") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, logs := supervisortest.ObservedLogger(zapcore.WarnLevel)
				runs := 0
				sup := ssNew(t, "root", supervisor.WithLogger(log), supervisor.WithChildren(
					supervisor.Child{Name: "other", Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })},
					supervisor.Child{Name: "signals", EndsSupervisor: true, Actor: actor.Func(func(ctx context.Context) error {
						runs++
						if runs == 1 {
							time.Sleep(time.Second)
							return tt.end()
						}
						<-ctx.Done()
						return nil
					})},
				))
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := ssGo(ctx, sup)
				time.Sleep(2 * time.Second)
				synctest.Wait()
				select {
				case err := <-done:
					if !tt.stopped {
						t.Fatalf("Run returned %v; want it still running, the child restarted", err)
					}
					if err != nil {
						t.Fatalf("Run = %v, want nil (a clean stop)", err)
					}
					if n := logs.Len(); n != 0 {
						t.Errorf("a clean end logged %d warnings: %v", n, logs.All())
					}
				default:
					if tt.stopped {
						t.Fatal("Run did not return after the child's end")
					}
					if runs != 2 {
						t.Errorf("child ran %d times, want 2 (restarted)", runs)
					}
					cancel()
					<-done
				}
			})
		})
	}
}
