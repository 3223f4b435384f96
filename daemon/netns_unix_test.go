//go:build unix

package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// netnsAddr is the non-loopback address the network namespace test adds
// to its namespace's lo (198.18.0.0/15 is for benchmarking, never routed).
const netnsAddr = "198.18.0.1"

// netnsPaths are the paths the namespace test fetches on each address.
var netnsPaths = []string{"/healthz", "/readyz", "/metrics", "/tree", "/tree.json", "/ui", "/events", "/debug/pprof/"}

// netnsMain runs in a network namespace of its own (see
// TestHealthServerInANetworkNamespace): a daemon whose health server
// listens on 0.0.0.0:8081, fetched on 127.0.0.1 and on netnsAddr, each
// result printed as "addr path status". It never returns.
func netnsMain(public bool) {
	root, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "w", Actor: blocker()}))
	must(err)
	ready := make(chan struct{}, 1)
	sigs := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		code, err := daemon.Run(context.Background(), root,
			daemon.WithHealthAddr("0.0.0.0:8081"), daemon.WithPprof(true), daemon.WithPublicDebug(public),
			daemon.WithHandler("/metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "metrics")
			})),
			daemon.WithSignals(sigs), daemon.WithWatchdog(0), daemon.WithLogger(zap.NewNop()),
			daemon.WithNotifier(daemon.NotifierFunc(func(s string) error {
				if s == "READY=1" {
					ready <- struct{}{}
				}
				return nil
			})))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		done <- code
	}()
	select {
	case <-ready:
	case code := <-done:
		fmt.Fprintln(os.Stderr, "Run returned", code, "before the tree was ready")
		os.Exit(3)
	}
	// No timeout: the test that runs this program bounds it (testutil.Context).
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, addr := range []string{"127.0.0.1", netnsAddr} {
		for _, p := range netnsPaths {
			resp, err := c.Get("http://" + addr + ":8081" + p)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
			if p != "/events" { // a stream: it ends with the tree's shutdown
				io.Copy(io.Discard, resp.Body)
			}
			resp.Body.Close()
			fmt.Printf("%s %s %d\n", addr, p, resp.StatusCode)
		}
	}
	sigs <- syscall.SIGTERM
	os.Exit(<-done)
}

// parseNetns reads netnsMain's output into "addr path" → status.
func parseNetns(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			m[f[0]+" "+f[1]] = f[2]
		}
	}
	return m
}
