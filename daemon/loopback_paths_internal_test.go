package daemon

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/supervisor"
)

// A request that arrived on a non-loopback address gets none of the tree,
// the page, the events or pprof, however its request line names the path:
// doubled or dotted segments (the mux answers with a redirect to the
// clean path, which is refused in turn), percent-encoded letters and
// slashes, the absolute form, methods other than GET, trailing slashes, a
// probe's path with the debug path in its query. Only the probes answer
// (the tree is not running: /readyz says 503, without the tree).
func TestDebugPathsRefusedOffLoopbackWhateverTheRequestLine(t *testing.T) {
	root, err := supervisor.New("tree-name-that-must-not-leak")
	if err != nil {
		t.Fatal(err)
	}
	h, err := healthMux(root, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(serveAs(t, h, "198.18.0.1:8081", "127.0.0.1:40000"), "http://")
	for _, line := range []string{"GET //tree", "GET /./tree", "GET /%2e/tree", "GET /healthz/../tree",
		"GET /healthz%2F..%2Ftree", "GET /%74ree", "GET /Tree", "GET /tree/", "GET /tree.json/", "GET /tree;x",
		"GET http://localhost/tree", "GET http://127.0.0.1/healthz/../tree", "HEAD /tree", "OPTIONS /tree",
		"POST /tree", "CONNECT /tree", "GET /ui/", "GET /ui/tree.json", "GET /events/", "GET /healthz/",
		"GET /readyz/", "GET /debug/pprof/cmdline", "GET /debug/pprof/goroutine?debug=2",
		"GET /debug/pprof/../../tree", "GET /debug/pprof", "GET /healthz?x=/tree", "GET /readyz?format=json"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, line+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Fatalf("%s: %v", line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.Close()
		probe := strings.HasPrefix(line, "GET /healthz?") || strings.HasPrefix(line, "GET /readyz?")
		if strings.Contains(string(body), "tree-name-that-must-not-leak") || (!probe && resp.StatusCode == http.StatusOK) {
			t.Errorf("%s: %d %.80q; want only a probe served", line, resp.StatusCode, body)
		}
	}
}
