//go:build linux

package process_test

import (
	"os"
	"testing"

	"github.com/arbor-go/arbor/process"
)

// openFDs counts the test process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// Incarnations that end every way (stopped once ready, by fd or notify
// socket; exited before they were ready; stopped before they were ready)
// leave no file descriptor of theirs open in the supervising process:
// pipes, notify sockets and pidfds are all closed.
func TestIncarnationsLeaveNoFileDescriptorOpen(t *testing.T) {
	for _, kind := range []string{"ready-by-fd", "ready-by-socket", "exit-before-ready", "stop-before-ready"} {
		t.Run(kind, func(t *testing.T) {
			before := openFDs(t)
			for range 50 {
				var p *process.Program
				var f string
				switch kind {
				case "ready-by-fd":
					p = shell(`echo >&4; exec sleep 3600`)
					p.Ready = process.NotifyFD{FD: 4}
				case "ready-by-socket":
					f = fifo(t)
					p = helper(t, "notify", "ARBOR_FIFO="+f)
					p.Ready = process.NotifySocket{}
				case "exit-before-ready":
					p = shell(`exit 3`)
					p.Ready = process.NotifyFD{FD: 4}
				case "stop-before-ready":
					p = shell(`exec sleep 3600`)
					p.Ready = process.NotifySocket{}
				}
				r := start(t, p)
				switch kind {
				case "ready-by-socket":
					release(t, f)
					fallthrough
				case "ready-by-fd":
					r.awaitReady(t)
					fallthrough
				case "stop-before-ready":
					if _, err := r.stop(); err != nil {
						t.Fatalf("stop: %v", err)
					}
				case "exit-before-ready":
					err := <-r.done
					r.done <- err
				}
			}
			if after := openFDs(t); after > before {
				t.Fatalf("%d file descriptors open after 50 incarnations, %d before", after, before)
			}
		})
	}
}
