//go:build linux

package bench

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
)

// programImpls are the implementations compared by BenchmarkPrograms.
// Each starts n programs, returns once all are ready, and returns a
// function that stops them all and waits until they are reaped.
var programImpls = []struct {
	name  string
	start func(n int, notify bool) (stop func())
}{
	{"os-exec", startExec},
	{"ours", startPrograms()},
	{"ours-concurrent", startPrograms(supervisor.WithConcurrentShutdown(true))},
}

// programArgs is the program each implementation runs: sleep, or, to
// measure readiness by file descriptor, a shell that writes a newline on
// fd 3 and then sleeps.
func programArgs(notify bool) (string, []string) {
	if notify {
		return "/bin/sh", []string{"-c", "echo >&3; exec sleep 3600"}
	}
	return "sleep", []string{"3600"}
}

// BenchmarkPrograms measures starting N programs until all are ready
// (start-ns/program) and stopping them (SIGTERM, wait until reaped;
// stop-ns/program). ready=start: a program is ready once started;
// ready=fd: once it wrote a newline on fd 3 (os-exec reads the pipe
// itself).
func BenchmarkPrograms(b *testing.B) {
	const n = 100
	for _, ready := range []string{"start", "fd"} {
		b.Run("N=100/ready="+ready, func(b *testing.B) {
			for _, im := range programImpls {
				b.Run("impl="+im.name, func(b *testing.B) {
					base := runtime.NumGoroutine()
					var startT, stopT time.Duration
					for b.Loop() {
						t0 := time.Now()
						stop := im.start(n, ready == "fd")
						t1 := time.Now()
						stop()
						startT += t1.Sub(t0)
						stopT += time.Since(t1)
					}
					b.ReportMetric(float64(startT.Nanoseconds())/float64(b.N*n), "start-ns/program")
					b.ReportMetric(float64(stopT.Nanoseconds())/float64(b.N*n), "stop-ns/program")
					settle(b, base)
				})
			}
		})
	}
}

// startExec is plain os/exec: n Cmds started one by one (reading each
// one's readiness pipe when notify), then stopped together with SIGTERM
// and waited for.
func startExec(n int, notify bool) func() {
	path, args := programArgs(notify)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		c := exec.Command(path, args...)
		var r *os.File
		if notify {
			var w *os.File
			var err error
			r, w, err = os.Pipe()
			if err != nil {
				panic(err)
			}
			c.ExtraFiles = []*os.File{w}
			defer w.Close()
		}
		if err := c.Start(); err != nil {
			panic(err)
		}
		if notify {
			buf := make([]byte, 1)
			if _, err := r.Read(buf); err != nil {
				panic(err)
			}
			r.Close()
		}
		cmds[i] = c
	}
	return func() {
		var wg sync.WaitGroup
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
			wg.Go(func() { _ = c.Wait() })
		}
		wg.Wait()
	}
}

// startPrograms is one supervisor with n process.Program children that
// wait for readiness, then cancelled.
func startPrograms(opts ...supervisor.Option) func(n int, notify bool) func() {
	return func(n int, notify bool) func() {
		path, args := programArgs(notify)
		children := make([]supervisor.Child, n)
		for i := range children {
			p := &process.Program{Path: path, Args: args}
			if notify {
				p.Ready = process.NotifyFD{FD: 3}
			}
			children[i] = supervisor.Child{Name: "p" + strconv.Itoa(i), Actor: p, WaitReady: true}
		}
		sup, err := supervisor.New("bench", append(opts[:len(opts):len(opts)], supervisor.WithChildren(children...))...)
		if err != nil {
			panic(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sup.Run(ctx) }()
		if err := sup.WaitReady(ctx); err != nil {
			panic(err)
		}
		return func() {
			cancel()
			if err := <-done; err != nil {
				panic(err)
			}
		}
	}
}
