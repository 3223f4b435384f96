package health_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
)

// /readyz lists at most ten not-ready paths and counts the others, so that
// a probe's body stays small while a large or deep tree starts (a list of
// every path is as long as the tree's size times its depth).
func TestReadyzListsTenPathsAndCountsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := actor.Func(func(ctx context.Context) error {
			select {
			case <-time.After(time.Hour):
				actor.Ready(ctx)
			case <-ctx.Done():
				return nil
			}
			<-ctx.Done()
			return nil
		})
		var kids []supervisor.Child
		for i := range 30 {
			kids = append(kids, supervisor.Child{Name: "w" + strconv.Itoa(i), Actor: slow, WaitReady: true})
		}
		sup := newSup(t, supervisor.WithChildren(kids...))
		// Started without waiting for readiness: the first child waits an
		// hour, the others have not started.
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		synctest.Wait()
		want := []string{"not ready: starting"}
		for i := range 10 {
			want = append(want, "root/w"+strconv.Itoa(i))
		}
		want = append(want, "... and 20 more")
		rec := do(health.Handler(sup), http.MethodGet, "/readyz")
		if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != strings.Join(want, "\n")+"\n" {
			t.Errorf("GET /readyz = %d\n%s\nwant 503\n%s", rec.Code, rec.Body, strings.Join(want, "\n"))
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
