//go:build linux

package process_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/arbor-go/arbor/process"
)

func fdCount(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestProbeFDLeak(t *testing.T) {
	for _, kind := range []string{"fd", "sock", "earlyexit", "stopbeforeready"} {
		before := fdCount(t)
		var fifos []string
		for i := 0; i < 100; i++ {
			var p *process.Program
			switch kind {
			case "fd":
				p = shell(`echo >&4; exec sleep 3600`)
				p.Ready = process.NotifyFD{FD: 4}
			case "sock":
				f := fifo(t)
				p = helper(t, "notify", "ARBOR_FIFO="+f)
				p.Ready = process.NotifySocket{}
				defer func() { _ = f }()
				fifos = append(fifos, f)
			case "earlyexit":
				p = shell(`exit 3`)
				p.Ready = process.NotifyFD{FD: 4}
			case "stopbeforeready":
				p = shell(`exec sleep 3600`)
				p.Ready = process.NotifyFD{FD: 4}
			}
			r := start(t, p)
			switch kind {
			case "fd":
				r.awaitReady(t)
				r.stop()
			case "sock":
				release(t, fifos[len(fifos)-1])
				r.awaitReady(t)
				r.stop()
			case "earlyexit":
				err := <-r.done
				r.done <- err
			case "stopbeforeready":
				_, err := r.stop()
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		after := fdCount(t)
		fmt.Println(kind, before, after)
	}
}
