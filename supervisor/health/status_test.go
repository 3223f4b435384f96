package health_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// The page's tree view carries a child's status text (actor.SetStatus), and
// "/tree" and "/tree.json" show it too; a node without one has none.
func TestPageTreeShowsStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		standby := actor.Func(func(ctx context.Context) error {
			actor.Ready(ctx)
			actor.SetStatus(ctx, "waiting for leadership <b>")
			<-ctx.Done()
			return nil
		})
		sup := newSup(t, supervisor.WithChildren(
			supervisor.Child{Name: "api", Actor: serve(0), WaitReady: true},
			supervisor.Child{Name: "sched", Actor: standby, WaitReady: true},
		))
		supervisortest.Start(t, sup)
		synctest.Wait()
		h := health.Handler(sup)
		rec := do(h, http.MethodGet, "/ui/tree.json")
		if strings.ContainsAny(rec.Body.String(), "<>") {
			t.Errorf("raw markup in the response: %s", rec.Body)
		}
		var v struct {
			Tree supervisor.FlatTree `json:"tree"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, n := range v.Tree.Nodes {
			got[n.Name] = n.Status
		}
		if got["sched"] != "waiting for leadership <b>" || got["api"] != "" || got["root"] != "" {
			t.Errorf("statuses in /ui/tree.json = %q", got)
		}
		if body := do(h, http.MethodGet, "/tree").Body.String(); !strings.Contains(body, `status="waiting for leadership <b>"`) {
			t.Errorf("/tree lacks the status:\n%s", body)
		}
		if body := do(h, http.MethodGet, "/tree.json").Body.String(); !strings.Contains(body, `"status":"waiting for leadership <b>"`) {
			t.Errorf("/tree.json lacks the status:\n%s", body)
		}
		if _, notReady := sup.Readiness(); len(notReady) != 0 {
			t.Errorf("not ready: %v", notReady)
		}
	})
}
