//go:build linux

package process_test

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbor-go/arbor/process"
)

// An HTTP probe asks the program, not whatever it points at: a redirect
// to another host is not followed (the supervising process would fetch
// any URL a hostile program names, and be made ready by another server's
// answer). The 3xx answer is not a 2xx: the program is not ready.
func TestHTTPProbeDoesNotFollowARedirectToAnotherHost(t *testing.T) {
	var elsewhere atomic.Int64
	other := serve(t, "127.0.0.2:0", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	hits := make(chan struct{}, 100)
	probed := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hits <- struct{}{}:
		default:
		}
		http.Redirect(w, r, "http://"+other+"/", http.StatusFound)
	}))
	p := shell(`exec sleep 3600`)
	p.Ready = process.HTTPProbe{URL: "http://" + probed + "/ready", Interval: 5 * time.Millisecond}
	r := start(t, p)
	// Three probes answered with a redirect: had the first been followed,
	// the other server would have been asked before the second.
	for range 3 {
		select {
		case <-hits:
		case <-r.ready:
			t.Fatalf("the program is ready on a redirect (%d requests to %s)", elsewhere.Load(), other)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the probe followed the redirect to %s (%d requests)", other, n)
	}
}

// serve serves h on addr until the test ends and returns its address.
func serve(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return l.Addr().String()
}
