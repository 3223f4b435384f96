package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/process"
	sdnotify "github.com/coreos/go-systemd/v22/daemon"
)

// tickerEnv, when set in its environment, makes the example run as the
// small program its own tree supervises as example/ticker, so that a
// newcomer sees a process in the tree.
const tickerEnv = "ARBOR_EXAMPLE_TICKER"

// tickerProgram is the spec of example/ticker: this very executable, in
// ticker mode. It tells its readiness and its status on the notify socket
// the process package gives it (systemd's protocol), where there is one.
func tickerProgram() (*process.Program, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &process.Program{Path: exe, Env: append(os.Environ(), tickerEnv+"=1"), StopTimeout: 2 * time.Second}
	if runtime.GOOS != "windows" {
		p.Ready = process.NotifySocket{}
	}
	return p, nil
}

// runTicker is the ticker program: it prints a line every second (each
// becomes a log entry of example/ticker) and publishes how many it printed
// as its status, until SIGTERM or SIGINT.
func runTicker() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	_, _ = sdnotify.SdNotify(false, "READY=1\nSTATUS=started")
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			fmt.Println("ticker: stopping")
			return 0
		case <-t.C:
		}
		fmt.Printf("tick %d\n", n)
		_, _ = sdnotify.SdNotify(false, fmt.Sprintf("STATUS=%d ticks", n))
	}
}
