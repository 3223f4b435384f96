package health_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
)

// Serve the tree's state under /debug/tree/ next to the application's own
// routes. A real program would pass mux to http.ListenAndServe; here the
// requests go through httptest.
func Example() {
	sup, err := supervisor.New("root", supervisor.WithChildren(
		supervisor.Child{Name: "http", WaitReady: true, Actor: actor.Func(func(ctx context.Context) error {
			actor.Ready(ctx) // listening: ready to serve
			<-ctx.Done()
			return nil
		})},
	))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/tree/", http.StripPrefix("/debug/tree", health.Handler(sup)))
	get := func(path string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Printf("GET %s: %d\n%s", path, rec.Code, rec.Body)
	}

	get("/debug/tree/readyz")

	// Run calls actor.Ready on its context once its children have started.
	ready := make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(actor.WithReady(context.Background(), func() { once.Do(func() { close(ready) }) }))
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	<-ready

	get("/debug/tree/readyz")
	get("/debug/tree/healthz")
	get("/debug/tree/")
	cancel()
	if err := <-done; err != nil {
		panic(err)
	}
	// Output:
	// GET /debug/tree/readyz: 503
	// not ready: not running
	// GET /debug/tree/readyz: 200
	// ok
	// GET /debug/tree/healthz: 200
	// ok
	// GET /debug/tree/: 200
	// root [supervisor running ready]
	//   http [worker running ready restarts=0]
}

// Serve at most a few nodes of a big tree; a request can ask for fewer
// still, here with max_depth.
func ExampleNewHandler() {
	var children []supervisor.Child
	for _, name := range []string{"a", "b", "c", "d"} {
		children = append(children, supervisor.Child{Name: name, Actor: actor.Func(func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		})})
	}
	sup, err := supervisor.New("root", supervisor.WithChildren(children...))
	if err != nil {
		panic(err)
	}
	h, err := health.NewHandler(sup, health.WithMaxNodes(3))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	if err := sup.WaitReady(ctx); err != nil {
		panic(err)
	}
	for _, target := range []string{"/tree", "/tree?max_depth=1&max_nodes=2"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Printf("GET %s: %d\n%s", target, rec.Code, rec.Body)
	}
	cancel()
	if err := <-done; err != nil {
		panic(err)
	}
	// Output:
	// GET /tree: 200
	// root [supervisor running ready]
	//   a [worker running ready restarts=0]
	//   b [worker running ready restarts=0]
	//   ... 2 more children not shown
	// (truncated: 2 nodes omitted; max_nodes 3)
	// GET /tree?max_depth=1&max_nodes=2: 200
	// root [supervisor running ready]
	//   a [worker running ready restarts=0]
	//   ... 3 more children not shown
	// (truncated: 3 nodes omitted; max_nodes 2, max_depth 1)
}
