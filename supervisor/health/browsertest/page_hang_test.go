package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/chromedp/chromedp"
)

// A hang that restarts its group is shown as such: the group's entry says
// the child hung, with the hang's error, and names the sibling restarted
// with it.
func TestPageShowsAHangThatRestartsItsGroup(t *testing.T) {
	tb := openBrowser(t)
	hang := make(chan struct{}) // closed: the indexer's first incarnation stops beating
	var runs int                // the indexer's incarnations run one at a time
	indexer := actor.Func(func(ctx context.Context) error {
		stopBeating := hang
		if runs++; runs > 1 {
			stopBeating = nil // later incarnations beat on
		}
		for {
			actor.Beat(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-stopBeating:
				<-ctx.Done() // hung: no beat, until cancelled
				return nil
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	never := make(chan error)
	sup := mustNew(t, "root", supervisor.WithStrategy(policy.OneForAll), supervisor.WithChildren(
		supervisor.Child{Name: "cache", Actor: failOn(never)},
		supervisor.Child{Name: "indexer", Actor: indexer, Liveness: &supervisor.Liveness{Timeout: 200 * time.Millisecond}},
	))
	start(t, sup)
	url := serve(t, health.Handler(sup))
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the live page", `document.getElementById("conn").textContent === "live"`)
	close(hang)
	group := `document.querySelector('#events > li[data-kind="group_restart"][data-origin="root/indexer"]')`
	tb.poll(t, "the hang's group restart", group+` !== null && `+group+`.dataset.with === "cache" &&
		`+group+`.querySelector(".facts").textContent === "hung" &&
		`+group+`.querySelector(".error").textContent === "hung: no beat for 200ms" &&
		`+group+`.classList.contains("bad") &&
		document.querySelector('#events > li[data-kind="hung"]') === null`)
	checkQuiet(t, tb)
}
