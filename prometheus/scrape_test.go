package arborprom_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/arbor-go/arbor/internal/testutil"
	arborprom "github.com/arbor-go/arbor/prometheus"
	"github.com/arbor-go/arbor/supervisor"
)

// A real scrape: promhttp serves the registry on a loopback listener, an
// HTTP client fetches /metrics, and the text format is parsed back. Not in
// a synctest bubble: the sockets are real.
func TestRealScrape(t *testing.T) {
	db := mustNew(t, "db", supervisor.WithChildren(supervisor.Child{Name: "pool", Actor: blocker}))
	root := mustNew(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "flaky", Actor: failing(2, erring)},
		supervisor.Child{Name: "db", Actor: db},
	))
	c, err := arborprom.NewCollector(root, arborprom.WithChildLabels(true))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)

	// The third incarnation of flaky is the one that works: once its start
	// is seen, every count below is final (counters count before events
	// are sent).
	sub, err := root.Subscribe(64)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	stop := start(t, root)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, sub, func(e supervisor.Event) bool {
		return e.Kind == supervisor.EventStarted && e.Path == "root/flaky" && e.Incarnation == 3
	})
	if err := root.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	// No timeouts: a scrape that never ends is reported by the test
	// binary's deadline, with every goroutine's stack, not by a guess.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + ln.Addr().String() + "/metrics"

	// Concurrent scrapes are served one after the other, each complete.
	var wg sync.WaitGroup
	results := make([]map[string]float64, 4)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() { results[i], errs[i] = scrape(client, url) })
	}
	wg.Wait()
	for i, got := range results {
		if errs[i] != nil {
			t.Fatalf("scrape %d: %v", i, errs[i])
		}
		for key, want := range map[string]float64{
			`arbor_starts_total{supervisor="root"}`:                                4,
			`arbor_restarts_total{supervisor="root"}`:                              2,
			`arbor_exits_total{class="abnormal",supervisor="root"}`:                2,
			`arbor_failures_total{kind="error",supervisor="root"}`:                 2,
			`arbor_starts_total{supervisor="root/db"}`:                             1,
			`arbor_children{state="running",supervisor="root"}`:                    2,
			`arbor_children{state="running",supervisor="root/db"}`:                 1,
			`arbor_child_restarts{child="flaky",supervisor="root"}`:                2,
			`arbor_child_state{child="pool",state="running",supervisor="root/db"}`: 1,
			`arbor_supervisor_running{supervisor="root/db"}`:                       1,
			`arbor_tree_ready{supervisor="root"}`:                                  1,
			`arbor_tree_alive{supervisor="root"}`:                                  1,
			`arbor_tree_stuck_children{supervisor="root"}`:                         0,
		} {
			if v, ok := got[key]; !ok || v != want {
				t.Errorf("scrape %d: %s = %v (present: %v), want %v", i, key, v, ok, want)
			}
		}
	}
}

// scrape fetches url and parses the text format into samples keyed as
// values keys them.
func scrape(client *http.Client, url string) (map[string]float64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64)
	for name, f := range families {
		for _, m := range f.GetMetric() {
			out[sampleKey(name, m)] = sampleValue(m)
		}
	}
	return out, nil
}

// waitFor reads sub until an event matches, failing the test if none has
// come shortly before the test binary's deadline.
func waitFor(t *testing.T, sub *supervisor.Subscription, match func(supervisor.Event) bool) {
	t.Helper()
	expiry := testutil.Expiry(t)
	for {
		select {
		case e := <-sub.Events():
			if match(e) {
				return
			}
		case <-expiry:
			t.Fatalf("no matching event by the test binary's deadline (dropped: %d)", sub.Dropped())
		}
	}
}
