package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/chromedp/chromedp"
)

// A child that missed its liveness deadline shows as hung: its row's state
// reads "hung", marked bad, until its incarnation returns, and the event
// list has its hung event, marked bad, with the hang's text.
func TestLivePageShowsAHang(t *testing.T) {
	tb := openBrowser(t)
	release := make(chan struct{})
	// The first incarnation beats until the page is live, then hangs: a
	// hang before the page's first request would be in neither the
	// handler's backlog (kept from that request on) nor the stream, and the
	// page would wait for its event in vain (a browser slow to start on a
	// busy machine took longer than the 200ms deadline).
	hang := make(chan struct{})
	var runs int
	w := actor.Func(func(ctx context.Context) error {
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
				<-release // hung, and slow to return once cancelled
				return nil
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	sup := mustNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "indexer", Actor: w,
		ShutdownTimeout: time.Hour, Liveness: &supervisor.Liveness{Timeout: 200 * time.Millisecond}}))
	stop := start(t, sup)
	url := serve(t, health.Handler(sup))
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the live page", `document.getElementById("conn").textContent === "live"`)
	close(hang)
	tb.poll(t, "the hung child", `
		(function () {
			var st = document.querySelector('#tree tr[data-path="root/indexer"] td.state');
			var ev = document.querySelector('#events li[data-path="root/indexer"][data-kind="hung"]');
			return st !== null && st.textContent.startsWith("hung") && st.classList.contains("bad") &&
				ev !== null && ev.classList.contains("bad") &&
				ev.querySelector(".error").textContent === "hung: no beat for 200ms";
		})()`)
	close(release)
	tb.poll(t, "the restart", `
		document.querySelector('#tree tr[data-path="root/indexer"] td.state').textContent.startsWith("running") &&
		document.querySelector('#tree tr[data-path="root/indexer"] td.restarts').textContent === "1"`)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	problems, dialogs := tb.problemsAndDialogs()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
	for _, d := range dialogs {
		t.Errorf("a dialog opened: %q", d)
	}
}
