package health

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
)

// A child found hung shows as hung: its event in /events is of kind "hung"
// with the hang's text, and /tree and /tree.json show it in state "hung"
// with the hang as its last error, until its incarnation returns.
func TestHangsShowAsHangs(t *testing.T) {
	release := make(chan struct{})
	var runs int
	w := actor.Func(func(ctx context.Context) error {
		if runs++; runs == 1 {
			<-release // hung, and slow to return once cancelled
			return nil
		}
		for { // later incarnations beat
			actor.Beat(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "w", Actor: w,
		ShutdownTimeout: time.Hour, Liveness: &supervisor.Liveness{Timeout: 200 * time.Millisecond}}))
	stop := startTree(t, sup)
	h := Handler(sup)
	url := serveLoopback(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sr, _ := openStream(t, ctx, url)
	for {
		var e eventJSON
		decode(t, sr.expectEvent(t, "lifecycle"), &e)
		if e.Kind == "failed" {
			t.Fatalf("a hang shows as a failure: %+v", e)
		}
		if e.Kind == "hung" {
			if e.Path != "root/w" || e.Error != "hung: no beat for 200ms" {
				t.Errorf("hung event %+v", e)
			}
			break
		}
	}
	tree := getBody(t, url+"/tree")
	js := getBody(t, url+"/tree.json")
	if !strings.Contains(tree, "hung") || !strings.Contains(js, `"state":"hung"`) || !strings.Contains(js, "hung: no beat for 200ms") {
		t.Errorf("the tree does not show the hang:\n%s\n%s", tree, js)
	}
	close(release)
	if err := stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
}

// getBody GETs url and returns its body, failing t unless the status is
// 200.
func getBody(t *testing.T, url string) string {
	t.Helper()
	code, body := testutil.Get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, code, body)
	}
	return body
}
