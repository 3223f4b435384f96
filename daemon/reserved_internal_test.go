package daemon

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
)

// Every path the live page loads (its scripts, style sheet, icon, the tree
// and the events it fetches) is one of the daemon's: a program's handler
// may not take it over (which would break the page, and serve that path to
// every client).
func TestProgramHandlerCannotTakeOverAPathThePageLoads(t *testing.T) {
	root, err := supervisor.New("root")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	health.Handler(root).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui", nil))
	page, _ := io.ReadAll(rec.Body)
	paths := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#:?]+)"`).FindAllSubmatch(page, -1) {
		paths["/"+string(m[1])] = true
	}
	for _, p := range []string{"/ui/tree.json", "/events"} { // fetched by page.js
		paths[p] = true
	}
	if !paths["/ui/page.js"] {
		t.Fatalf("the page loads %v: no /ui/page.js, the page's shape changed", paths)
	}
	mine := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for p := range paths {
		for _, pattern := range []string{p, "GET " + p} {
			_, err := healthMux(root, false, false, []route{{pattern, mine}})
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("WithHandler(%q): %v; want a *ConfigError (a path the page loads)", pattern, err)
			}
		}
	}
}
