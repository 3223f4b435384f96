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
	"/ui/page.js":  {"assets/page.js", "text/javascript; charset=utf-8"},
	"/ui/page.css": {"assets/page.css", "text/css; charset=utf-8"},
	"/ui/icon.svg": {"assets/icon.svg", "image/svg+xml"},
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

// asset serves the page's embedded script, style and icon.
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
// health and its nodes depth-first, flat, each with its depth. It is the
// page's own format, independent of "/tree.json".
type treeView struct {
	Time   time.Time         `json:"time"`
	Health supervisor.Health `json:"health"`
	Nodes  []nodeView        `json:"nodes"`
}

// nodeView is one node of a treeView.
type nodeView struct {
	Path        string               `json:"path"`
	Name        string               `json:"name"`
	Depth       int                  `json:"depth"`
	Kind        string               `json:"kind"`
	State       string               `json:"state"`
	Ready       bool                 `json:"ready"`
	WaitReady   bool                 `json:"wait_ready"`
	Restarts    int                  `json:"restarts"`
	Incarnation uint64               `json:"incarnation"`
	LastError   string               `json:"last_error,omitempty"`
	Status      string               `json:"status,omitempty"`
	Since       time.Time            `json:"since,omitzero"`
	Counters    *supervisor.Counters `json:"counters,omitempty"`
}

// newTreeView returns the view of snap, with h as the tree's health.
func newTreeView(snap supervisor.Snapshot, h supervisor.Health, now time.Time) treeView {
	v := treeView{Time: now.UTC(), Health: h}
	var walk func(n supervisor.Snapshot, depth int)
	walk = func(n supervisor.Snapshot, depth int) {
		v.Nodes = append(v.Nodes, nodeView{
			Path: n.Path, Name: n.Name, Depth: depth,
			Kind: n.Kind.String(), State: n.State.String(),
			Ready: n.Ready, WaitReady: n.WaitReady,
			Restarts: n.Restarts, Incarnation: n.Incarnation,
			LastError: n.LastError, Status: n.Status, Since: n.Since, Counters: n.Counters,
		})
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(snap, 0)
	return v
}

// pageTree serves "/ui/tree.json".
func (h *handler) pageTree(w http.ResponseWriter, _ *http.Request) {
	body, err := json.Marshal(newTreeView(h.s.Snapshot(), h.s.Health(), time.Now()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pageHeaders(w, "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}
