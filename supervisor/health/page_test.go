package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// markup is a name (no "/") and an error text that a careless page would
// turn into elements and a script.
const (
	markupName  = `<img src=x onerror=alert(1)>"'&`
	markupError = `<img src=x onerror=alert(1)><b>bold</b></td><script>alert(2)</script>`
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// checkPageHeaders checks the security headers of a "/ui" response.
func checkPageHeaders(t *testing.T, target string, h http.Header, contentType string) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Type":            contentType,
		"Content-Security-Policy": wantCSP,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("GET %s: %s %q, want %q", target, k, got, want)
		}
	}
}

// The page names the tree in its title and heading, escaped; it has no
// inline script or style and loads only its own assets.
func TestPage(t *testing.T) {
	sup := newSup(t)
	bad, err := supervisor.New(markupName)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sup  *supervisor.Supervisor
		name string
	}{{sup, "root"}, {bad, "&lt;img src=x onerror=alert(1)&gt;&#34;&#39;&amp;"}} {
		rec := do(health.Handler(tc.sup), http.MethodGet, "/ui")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /ui: %d", rec.Code)
		}
		checkPageHeaders(t, "/ui", rec.Header(), "text/html; charset=utf-8")
		body := rec.Body.String()
		if !strings.Contains(body, "<title>"+tc.name+" · arbor</title>") || !strings.Contains(body, `<h1 id="title">`+tc.name+"</h1>") {
			t.Errorf("GET /ui: the title is not %q:\n%s", tc.name, body)
		}
		if strings.Contains(body, "<img") {
			t.Errorf("GET /ui: the name is not escaped:\n%s", body)
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !regexp.MustCompile(`^<script src="ui/(page|events|spark)\.js" defer>$`).MatchString(tag) {
				t.Errorf("GET /ui: script tag %s", tag)
			}
		}
		for _, bad := range []string{"<style", "style=", "http:", "https:", "//"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET /ui: page contains %q", bad)
			}
		}
		if m := regexp.MustCompile(`<[^>]*\son[a-z]+=`).FindString(body); m != "" {
			t.Errorf("GET /ui: event handler attribute in %s", m)
		}
	}
}

// The assets are served with their types and the page's headers, and the
// script never hands a string to the HTML parser.
func TestPageAssets(t *testing.T) {
	h := health.Handler(newSup(t))
	for target, ct := range map[string]string{
		"/ui/page.js":   "text/javascript; charset=utf-8",
		"/ui/events.js": "text/javascript; charset=utf-8",
		"/ui/spark.js":  "text/javascript; charset=utf-8",
		"/ui/page.css":  "text/css; charset=utf-8",
		"/ui/icon.svg":  "image/svg+xml",
	} {
		rec := do(h, http.MethodGet, target)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("GET %s: %d, %d bytes", target, rec.Code, rec.Body.Len())
		}
		checkPageHeaders(t, target, rec.Header(), ct)
		if !strings.HasSuffix(target, ".js") {
			continue
		}
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "setAttribute(\"on", "setAttribute(\"style", "setAttribute(\"href", "setAttribute(\"src"} {
			if strings.Contains(rec.Body.String(), sink) {
				t.Errorf("%s uses %s", target, sink)
			}
		}
	}
}

// The new routes are exact, and read-only like the others.
func TestPageRoutes(t *testing.T) {
	h := health.Handler(newSup(t))
	for _, target := range []string{"/ui/", "/ui/nope", "/ui/page.html", "/ui/assets/page.js", "/events/", "/ui/tree"} {
		if rec := do(h, http.MethodGet, target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, rec.Code)
		}
	}
	for _, target := range []string{"/ui", "/ui/tree.json", "/ui/page.js", "/ui/events.js", "/ui/spark.js", "/ui/page.css", "/ui/icon.svg", "/events"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			if rec := do(h, m, target); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s = %d, want 405", m, target, rec.Code)
			}
		}
		if rec := do(h, http.MethodHead, target); rec.Code != http.StatusOK {
			t.Errorf("HEAD %s = %d, want 200", target, rec.Code)
		}
	}
	rec := do(h, http.MethodHead, "/events")
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Errorf("HEAD /events: %q, %q", rec.Header().Get("Content-Type"), rec.Body)
	}
}

// treeView mirrors the page's "/ui/tree.json".
type treeView struct {
	Time   time.Time `json:"time"`
	Health struct {
		Ready         bool     `json:"ready"`
		Reason        string   `json:"reason"`
		NotReady      []string `json:"not_ready"`
		NotReadyCount int      `json:"not_ready_count"`
		Alive         bool     `json:"alive"`
		Stuck         []string `json:"stuck"`
		StuckCount    int      `json:"stuck_count"`
	} `json:"health"`
	Tree supervisor.FlatTree `json:"tree"`
}

// "/ui/tree.json" is the tree's flat form (nodes in pre-order with their
// parents, the top node's path), its health, and error texts JSON-escaped
// so that no markup appears in the response.
func TestPageTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		flaky := actor.Func(func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				time.Sleep(time.Second)
				return errors.New(markupError)
			}
			<-ctx.Done()
			return nil
		})
		sup := newSup(t, supervisor.WithChildren(
			supervisor.Child{Name: "api", Actor: serve(0), WaitReady: true},
			supervisor.Child{Name: "db", Actor: newSup(t, supervisor.WithChildren(
				supervisor.Child{Name: "flaky", Actor: flaky}))},
		))
		stop := supervisortest.Start(t, sup).Stop
		time.Sleep(2 * time.Second)
		synctest.Wait()
		rec := do(health.Handler(sup), http.MethodGet, "/ui/tree.json")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /ui/tree.json: %d", rec.Code)
		}
		checkPageHeaders(t, "/ui/tree.json", rec.Header(), "application/json")
		if strings.ContainsAny(rec.Body.String(), "<>") {
			t.Errorf("raw markup in the response: %s", rec.Body)
		}
		var v treeView
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if !v.Health.Ready || !v.Health.Alive || v.Time.IsZero() {
			t.Errorf("health %+v at %v", v.Health, v.Time)
		}
		var got []string
		depth := make([]int, len(v.Tree.Nodes))
		for i, n := range v.Tree.Nodes {
			if n.ID != i || n.Parent >= i || n.Parent < -1 || (i == 0) != (n.Parent == -1) {
				t.Fatalf("node %d: id %d, parent %d", i, n.ID, n.Parent)
			}
			if n.Parent >= 0 {
				depth[i] = depth[n.Parent] + 1
			}
			got = append(got, strings.Repeat("  ", depth[i])+n.Name+" "+n.Kind.String()+" "+n.State.String())
		}
		if v.Tree.Path != "root" || v.Tree.Truncated != nil {
			t.Errorf("tree path %q, truncated %+v", v.Tree.Path, v.Tree.Truncated)
		}
		want := []string{"root supervisor running", "  api worker running", "  db supervisor running", "    flaky worker running"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("nodes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(v.Tree.Nodes) == 4 {
			f := v.Tree.Nodes[3]
			if f.Name != "flaky" || f.Parent != 2 || f.Restarts != 1 || f.Incarnation != 2 || f.LastError != markupError || !f.Ready || f.Since.IsZero() || f.Counters != nil {
				t.Errorf("flaky: %+v", f)
			}
			if db := v.Tree.Nodes[2]; db.Counters == nil || db.Counters.Restarts != 1 || !db.WaitReady {
				t.Errorf("db: %+v", db)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
