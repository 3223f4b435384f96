package arborprom_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	"github.com/arbor-go/arbor/leader/leadertest"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// A replica exports the metrics of its singleton beside those of its tree.
// The election is in memory here; with etcd or a Kubernetes Lease only the
// Elector changes.
func ExampleNewLeaderCollector() {
	election := leadertest.NewElection(leader.Timing{TTL: time.Second, RenewDeadline: 500 * time.Millisecond})
	started := make(chan struct{})
	scheduler := actor.Func(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return nil
	})
	single, err := leader.New(leader.Config{
		Election:  "scheduler",
		Elector:   election.Candidate("replica-1"),
		Actor:     scheduler,
		StopBound: 200 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	root, err := supervisor.New("app", supervisor.WithChildren(single.Child("scheduler")))
	if err != nil {
		fmt.Println(err)
		return
	}
	tree, err := arborprom.NewCollector(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	singletons, err := arborprom.NewLeaderCollector(single)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(tree, singletons)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.Run(ctx) }()
	<-started // won, and the start delay waited out

	// What a scrape of /metrics returns (the times vary: left out here).
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := bufio.NewScanner(rec.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "arbor_leader_") && !strings.Contains(line, "seconds") {
			fmt.Println(line)
		}
	}
	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// arbor_leader_fail_stops_total{election="scheduler"} 0
	// arbor_leader_leading{election="scheduler"} 1
	// arbor_leader_terms_kept_total{election="scheduler"} 0
	// arbor_leader_terms_lost_total{election="scheduler"} 0
	// arbor_leader_terms_resigned_total{election="scheduler"} 0
	// arbor_leader_terms_won_total{election="scheduler"} 1
	// arbor_leader_token{election="scheduler"} 1
	// Run: <nil>
}
