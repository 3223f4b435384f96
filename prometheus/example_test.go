package arborprom_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/arbor-go/arbor/actor"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// A tree serves its own metrics: an HTTP server on /metrics runs as one of
// its children, beside the work it watches.
func Example() {
	reg := prometheus.NewRegistry()
	addr := make(chan string, 1)
	metrics := actor.Func(func(ctx context.Context) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // a real service picks its port
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		select {
		case addr <- ln.Addr().String():
		default:
		}
		actor.Ready(ctx)
		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
		err = srv.Shutdown(context.WithoutCancel(ctx))
		<-served
		return err
	})
	work := actor.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})
	root, err := supervisor.New("app", supervisor.WithChildren(
		supervisor.Child{Name: "work", Actor: work},
		supervisor.Child{Name: "metrics", Actor: metrics, WaitReady: true},
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	collector, err := arborprom.NewCollector(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg.MustRegister(collector)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.Run(ctx) }()
	if err := root.WaitReady(ctx); err != nil {
		fmt.Println(err)
		return
	}

	resp, err := http.Get("http://" + <-addr + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		for _, prefix := range []string{"arbor_starts_total", `arbor_children{state="running"`, "arbor_tree_ready"} {
			if strings.HasPrefix(line, prefix) {
				fmt.Println(line)
			}
		}
	}
	resp.Body.Close()
	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// arbor_children{state="running",supervisor="app"} 2
	// arbor_starts_total{supervisor="app"} 2
	// arbor_tree_ready{supervisor="app"} 1
	// Run: <nil>
}
