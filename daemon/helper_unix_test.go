//go:build unix

package daemon_test

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/arbor-go/arbor/daemon"
	"github.com/arbor-go/arbor/supervisor"
)

// helperMain runs scenario as a daemon with daemon.Main. It never returns.
func helperMain(scenario string) {
	// SIGUSR1 triggers the scenario's event; subscribe before anything
	// runs so that it never kills the process.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	_ = supervisor.New
	_ = scenario
	daemon.Main(nil)
}
