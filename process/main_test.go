//go:build linux

package process_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/arbor-go/arbor/process"
	"go.uber.org/goleak"
)

// helperEnv names the helper mode in which the test binary runs when a
// test starts it as a program (or as a supervising process of its own).
const helperEnv = "ARBOR_PROCESS_TEST_HELPER"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "setsid" {
		os.Exit(runSetsid(os.Args[1:]))
	}
	if mode := os.Getenv(helperEnv); mode != "" {
		code := runHelper(mode)
		removeBinDir()
		os.Exit(code)
	}
	code := m.Run()
	removeBinDir()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: errors on successful test run:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// The fixtures' setsid is the test binary (run under that name from a
// directory put first in the programs' PATH), so that the tests need no
// util-linux: it calls setsid(2) and executes its arguments.
var binDir struct {
	once sync.Once
	path string
	err  error
}

// binDirEnv passes the directory of setsidPath to a re-executed copy of
// the test binary, which may be killed before it could remove its own.
const binDirEnv = "ARBOR_PROCESS_TEST_BIN"

// setsidPath returns the directory holding the test binary as "setsid".
func setsidPath() (string, error) {
	if dir := os.Getenv(binDirEnv); dir != "" {
		return dir, nil // the test that re-executed this copy removes it
	}
	binDir.once.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			binDir.err = err
			return
		}
		dir, err := os.MkdirTemp("", "arbor-process-bin-")
		if err != nil {
			binDir.err = err
			return
		}
		binDir.path, binDir.err = dir, os.Symlink(exe, filepath.Join(dir, "setsid"))
	})
	return binDir.path, binDir.err
}

func removeBinDir() {
	if binDir.path != "" {
		_ = os.RemoveAll(binDir.path)
	}
}

// runSetsid is setsid(1): a new session, then its arguments executed.
func runSetsid(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "setsid: no program")
		return 2
	}
	if _, err := syscall.Setsid(); err != nil {
		fmt.Fprintln(os.Stderr, "setsid:", err)
		return 1
	}
	path, err := exec.LookPath(args[0])
	if err == nil {
		err = syscall.Exec(path, args, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "setsid:", err)
	return 1
}

// runHelper runs the test binary as a helper program and returns its exit
// status.
func runHelper(mode string) int {
	switch mode {
	case "notify":
		return helperNotify()
	case "notify-as-nobody":
		return helperNotifyAsNobody()
	case "listen":
		return helperListen()
	case "subreaper":
		return helperSubreaper()
	case "pdeathsig":
		return helperPdeathsig()
	case "pid-reuse":
		return process.PIDReuseHelper()
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

// helperNotify speaks the systemd notify protocol: a status, then (once
// released) another status and READY=1, then it waits to be stopped.
func helperNotify() int {
	addr := &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		return 1
	}
	if _, err := c.Write([]byte("STATUS=waiting for release")); err != nil {
		return 1
	}
	if !awaitRelease() {
		return 1
	}
	if _, err := c.Write([]byte("STATUS=serving\nREADY=1")); err != nil {
		return 1
	}
	// Then a heartbeat (WATCHDOG=1) each time the test releases it again.
	for awaitRelease() {
		if _, err := c.Write([]byte("WATCHDOG=1")); err != nil {
			return 1
		}
	}
	select {}
}

// helperNotifyAsNobody drops its privileges to those of nobody (65534),
// then tells its status and readiness.
func helperNotifyAsNobody() int {
	if err := syscall.Setgid(65534); err != nil {
		fmt.Fprintln(os.Stderr, "setgid:", err)
		return 1
	}
	if err := syscall.Setuid(65534); err != nil {
		fmt.Fprintln(os.Stderr, "setuid:", err)
		return 1
	}
	addr := &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		return 1
	}
	if _, err := c.Write([]byte("STATUS=as nobody\nREADY=1")); err != nil {
		return 1
	}
	select {}
}

// helperListen serves HTTP on $ARBOR_ADDR once released: 200 for every
// path.
func helperListen() int {
	if !awaitRelease() {
		return 1
	}
	l, err := net.Listen("tcp", os.Getenv("ARBOR_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 1
	}
	_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	return 1
}

// awaitRelease blocks until the test writes to the fifo $ARBOR_FIFO. It
// reads until the test closes its end, so that each release is taken
// whole, once: a byte left in the fifo would be taken for the next one.
func awaitRelease() bool {
	f, err := os.Open(os.Getenv("ARBOR_FIFO"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fifo:", err)
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return err == nil && len(b) > 0
}
