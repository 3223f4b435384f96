//go:build linux

package process_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv names the helper mode in which the test binary runs when a
// test starts it as a program (or as a supervising process of its own).
const helperEnv = "ARBOR_PROCESS_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	goleak.VerifyTestMain(m)
}

// runHelper runs the test binary as a helper program and returns its exit
// status.
func runHelper(mode string) int {
	switch mode {
	case "notify":
		return helperNotify()
	case "listen":
		return helperListen()
	case "subreaper":
		return helperSubreaper()
	case "pdeathsig":
		return helperPdeathsig()
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

// awaitRelease blocks until the test writes to the fifo $ARBOR_FIFO.
func awaitRelease() bool {
	f, err := os.Open(os.Getenv("ARBOR_FIFO"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fifo:", err)
		return false
	}
	defer f.Close()
	buf := make([]byte, 1)
	_, err = f.Read(buf)
	return err == nil
}
