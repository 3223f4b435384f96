package health_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
)

// A handler keeps the tree's last events, and each stream starts with
// them: a page opened after a failure, even after the tree stopped, shows
// what happened. Here the backlog holds four events.
func ExampleWithBacklog() {
	fail := make(chan error)
	worker := func(ctx context.Context) error {
		select {
		case err := <-fail:
			return err
		case <-ctx.Done():
			return nil
		}
	}
	sup, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "worker", Actor: actor.Func(worker)}))
	if err != nil {
		panic(err)
	}
	h, err := health.NewHandler(sup, health.WithBacklog(4))
	if err != nil {
		panic(err)
	}
	get := func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Body.String()
	}

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- sup.Run(ctx) }()
	if err := sup.WaitReady(context.Background()); err != nil {
		panic(err)
	}
	get("/readyz") // the first request while the tree runs starts the backlog
	sub, err := sup.Subscribe(8)
	if err != nil {
		panic(err)
	}
	fail <- errors.New("connection refused")
	for range 3 { // failed, restarting, started
		<-sub.Events()
	}
	sub.Close()
	cancel()
	if err := <-ran; err != nil {
		panic(err)
	}

	// The tree has stopped; the stream sends what was kept, then ends.
	sc := bufio.NewScanner(strings.NewReader(get("/events")))
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var e struct{ Kind, Path, Error string }
			if json.Unmarshal([]byte(data), &e) == nil && e.Kind != "" {
				fmt.Println(strings.TrimSpace(e.Kind + " " + e.Path + " " + e.Error))
			} else {
				fmt.Println(data)
			}
		}
	}
	// Output:
	// {"path":"root","buffer":256,"backlog":4}
	// restarting root/worker connection refused
	// started root/worker
	// shutdown root
	// stopped root/worker
	// {"reason":"not running"}
}
