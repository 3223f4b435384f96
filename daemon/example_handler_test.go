package daemon_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
	"go.uber.org/zap"
)

// A program serves its own /metrics on the daemon's server, beside the
// probes: it answers from before the tree starts until the process exits.
// (Here on a free loopback port, fetched once the tree is ready.)
func ExampleWithHandler() {
	root, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "feed", Actor: feed}))
	if err != nil {
		panic(err)
	}
	addr := freeAddr()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "feed_polls_total 42")
	})
	sigs := make(chan os.Signal, 1)
	notify := daemon.NotifierFunc(func(state string) error {
		if state == "READY=1" {
			for _, path := range []string{"/metrics", "/healthz"} {
				fmt.Print(path, ": ", fetchBody("http://"+addr+path))
			}
			sigs <- syscall.SIGTERM
		}
		return nil
	})
	code, err := daemon.Run(context.Background(), root,
		daemon.WithHealthAddr(addr), daemon.WithHandler("GET /metrics", metrics),
		daemon.WithSignals(sigs), daemon.WithNotifier(notify), daemon.WithWatchdog(0),
		daemon.WithLogger(zap.NewNop()))
	fmt.Println("exit status", code, err)
	// Output:
	// /metrics: feed_polls_total 42
	// /healthz: ok
	// exit status 0 <nil>
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// fetchBody returns the body at url.
func fetchBody(url string) string {
	resp, err := client.Get(url)
	if err != nil {
		return err.Error() + "\n"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A program that logs through log/slog gives the daemon (and its root,
// with supervisor.WithSlog) the same slog logger: one stream, nothing
// through zap. (The time is left out here to keep the output stable.)
func ExampleWithSlog() {
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	root, err := supervisor.New("root", supervisor.WithChildren(supervisor.Child{Name: "feed", Actor: feed}))
	if err != nil {
		panic(err)
	}
	sigs := make(chan os.Signal, 1)
	notify := daemon.NotifierFunc(func(state string) error {
		if state == "READY=1" {
			sigs <- syscall.SIGTERM
		}
		return nil
	})
	daemon.Run(context.Background(), root, daemon.WithSlog(log),
		daemon.WithSignals(sigs), daemon.WithNotifier(notify), daemon.WithWatchdog(0))
	// Output:
	// level=INFO msg="tree ready"
	// level=INFO msg="signal received; shutting down (send it again to exit at once)" signal=terminated
	// level=INFO msg="stopped cleanly"
}

// On a network only operators reach, the tree, the page, /events and the
// profiles can be served on every address too. Without WithPublicDebug,
// a server on 0.0.0.0 answers them only on 127.0.0.1 (kubectl
// port-forward connects there), and the probes everywhere.
func ExampleWithPublicDebug() {
	root, err := supervisor.New("mydaemon", supervisor.WithChildren(supervisor.Child{Name: "api", Actor: api}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	daemon.Main(root,
		daemon.WithHealthAddr("10.0.0.5:8081"), // an operators' network, not the service's
		daemon.WithPprof(true),
		daemon.WithPublicDebug(true), // everyone who reaches 10.0.0.5 reads every error text
	)
}
