package health

// The "/ui" page: an HTML page, its embedded assets, and its view of the
// tree. The page's script renders every name and error text with
// textContent; the only server-rendered text, the tree's path in the page's
// title, goes through html/template.

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/arbor-go/arbor/supervisor"
)

//go:embed assets
var assets embed.FS

// pageTemplate is assets/page.html. Parsing an embedded file fails only if
// the file itself is broken, which the tests would show at once.
var pageTemplate = template.Must(template.ParseFS(assets, "assets/page.html"))

// staticFiles maps the page's asset routes to their embedded files and
// content types.
var staticFiles = map[string]struct{ file, contentType string }{
	"/ui/page.js":   {"assets/page.js", "text/javascript; charset=utf-8"},
	"/ui/events.js": {"assets/events.js", "text/javascript; charset=utf-8"},
	"/ui/spark.js":  {"assets/spark.js", "text/javascript; charset=utf-8"},
	"/ui/page.css":  {"assets/page.css", "text/css; charset=utf-8"},
	"/ui/icon.svg":  {"assets/icon.svg", "image/svg+xml"},
}

// contentSecurityPolicy lets the page load its own script, style, icon and
// data from this handler and nothing else: no inline script or style, no
// plugin, no frame around it, no form or base URL to redirect.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// pageHeaders sets the security headers of every "/ui" response.
func pageHeaders(w http.ResponseWriter, contentType string) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
}

// pageData is what assets/page.html is executed with.
type pageData struct {
	Path string // the tree path of the handler's supervisor
}

// page serves "/ui".
func (h *handler) page(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, pageData{Path: h.s.Snapshot().Path}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pageHeaders(w, "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// asset serves the page's embedded scripts, style and icon.
func (h *handler) asset(w http.ResponseWriter, req *http.Request) {
	f := staticFiles[req.URL.Path]
	body, err := assets.ReadFile(f.file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pageHeaders(w, f.contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// treeView is the page's view of the tree ("/ui/tree.json"): the tree's
// health and its flat form (supervisor.FlatTree's JSON, cut to the
// handler's limits as "/tree.json" is). A node carries its name and its
// parent's index, never its whole path, so that the view's size per node
// does not grow with the depth: the page rebuilds the paths it shows.
type treeView struct {
	Time   time.Time       `json:"time"`
	Health pageHealth      `json:"health"`
	Tree   json.RawMessage `json:"tree"`
}

// maxProblemPaths is the most paths of not ready or stuck children that
// the page's view and the probes' bodies list; they count the others. A path is as long as its
// depth: a list of them all would grow with the tree's size times its depth.
const maxProblemPaths = 10

// pageHealth is supervisor.Health with its lists of paths cut to
// maxProblemPaths, and their full lengths.
type pageHealth struct {
	Ready         bool     `json:"ready"`
	Reason        string   `json:"reason,omitempty"`
	NotReady      []string `json:"not_ready,omitempty"`
	NotReadyCount int      `json:"not_ready_count,omitempty"`
	Alive         bool     `json:"alive"`
	Stuck         []string `json:"stuck,omitempty"`
	StuckCount    int      `json:"stuck_count,omitempty"`
}

func newPageHealth(h supervisor.Health) pageHealth {
	return pageHealth{
		Ready: h.Ready, Reason: h.Reason, Alive: h.Alive,
		NotReady: h.NotReady[:min(len(h.NotReady), maxProblemPaths)], NotReadyCount: len(h.NotReady),
		Stuck: h.Stuck[:min(len(h.Stuck), maxProblemPaths)], StuckCount: len(h.Stuck),
	}
}

// pageTree serves "/ui/tree.json", within the handler's limits lowered by
// the request's max_nodes and max_depth, as "/tree.json".
func (h *handler) pageTree(w http.ResponseWriter, req *http.Request) {
	lim, ok := h.limits(w, req)
	if !ok {
		return
	}
	now := time.Now()
	tree, err := h.s.Snapshot().Flatten(lim).MarshalJSON()
	if err == nil {
		var body []byte
		body, err = json.Marshal(treeView{Time: now.UTC(), Health: newPageHealth(h.s.Health()), Tree: tree})
		if err == nil {
			pageHeaders(w, "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write(append(body, '\n'))
			return
		}
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
