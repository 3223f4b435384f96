package health_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
)

// Follow a tree's lifecycle events as server-sent events, as the page at
// "/ui" does: a child fails and is restarted, then the tree shuts down and
// the stream ends.
func Example_events() {
	fail := make(chan error)
	sup, err := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "worker", Actor: actor.Func(func(ctx context.Context) error {
			select {
			case err := <-fail:
				return err
			case <-ctx.Done():
				return nil
			}
		})},
	))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	if err := sup.WaitReady(ctx); err != nil {
		panic(err)
	}

	srv := httptest.NewServer(health.Handler(sup))
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL + "/events")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	// next prints the next event: its name, and for a lifecycle event its
	// kind, path and error.
	next := func() {
		var name string
		for lines.Scan() {
			line := lines.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			if name != "lifecycle" {
				fmt.Println(name, data)
				return
			}
			var e struct{ Kind, Path, Error string }
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				panic(err)
			}
			fmt.Println(strings.TrimSpace(strings.Join([]string{name, e.Kind, e.Path, e.Error}, " ")))
			return
		}
		fmt.Println("the stream ended")
	}

	next() // hello
	fail <- errors.New("connection refused")
	next() // failed
	next() // restarting
	next() // started
	cancel()
	next() // shutdown
	next() // end
	next()
	if err := <-done; err != nil {
		panic(err)
	}
	// Output:
	// hello {"path":"root","buffer":256,"backlog":0}
	// lifecycle failed root/worker connection refused
	// lifecycle restarting root/worker connection refused
	// lifecycle started root/worker
	// lifecycle shutdown root
	// end {"reason":"shutting down"}
	// the stream ended
}
