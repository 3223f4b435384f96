//go:build linux

package process_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// runTree runs sup until the test ends; it returns a function that stops
// it and returns Run's error, and a channel closed when Run has returned.
func runTree(t *testing.T, sup *supervisor.Supervisor) (stop func() error, ran <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = sup.Run(ctx)
	}()
	stop = func() error {
		cancel()
		<-done
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop, done
}

// awaitTreeReady waits until sup is ready, failing t if its Run returns
// first (a program that never tells its readiness fails its start).
func awaitTreeReady(t *testing.T, sup *supervisor.Supervisor, ran <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-ran:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := sup.WaitReady(ctx); err != nil {
		t.Fatalf("the tree never became ready: Run returned first (%v)", err)
	}
}

func TestEachReadinessKindGatesTheNextSibling(t *testing.T) {
	for _, tc := range []struct {
		name    string
		program func(t *testing.T, fifo string) *process.Program
		status  string // the status the program published once ready
	}{
		{"notify-fd", func(t *testing.T, fifo string) *process.Program {
			p := shell(`read x < "$1"; echo >&3; exec sleep 60`, fifo)
			p.Ready = process.NotifyFD{FD: 3}
			return p
		}, ""},
		{"notify-socket", func(t *testing.T, fifo string) *process.Program {
			p := helper(t, "notify", "ARBOR_FIFO="+fifo, "NOTIFY_SOCKET=/nonexistent/inherited")
			p.Ready = process.NotifySocket{}
			return p
		}, "serving"},
		{"tcp-probe", func(t *testing.T, fifo string) *process.Program {
			addr := freeAddr(t)
			p := helper(t, "listen", "ARBOR_FIFO="+fifo, "ARBOR_ADDR="+addr)
			p.Ready = process.TCPProbe{Addr: addr, Interval: 10 * time.Millisecond}
			return p
		}, ""},
		{"http-probe", func(t *testing.T, fifo string) *process.Program {
			addr := freeAddr(t)
			p := helper(t, "listen", "ARBOR_FIFO="+fifo, "ARBOR_ADDR="+addr)
			p.Ready = process.HTTPProbe{URL: "http://" + addr + "/healthz", Interval: 10 * time.Millisecond}
			return p
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fifo(t)
			var released atomic.Bool
			nextStarted := make(chan bool, 1)
			next := actor.Func(func(ctx context.Context) error {
				nextStarted <- released.Load()
				<-ctx.Done()
				return nil
			})
			sup := supervisortest.New(t, "root", supervisor.WithChildren(
				supervisor.Child{Name: "prog", Actor: tc.program(t, f), WaitReady: true, StartTimeout: time.Minute},
				supervisor.Child{Name: "next", Actor: next},
			))
			stop, ran := runTree(t, sup)
			// The program has started (it opened the fifo): the next
			// sibling must still wait for its readiness.
			released.Store(true)
			release(t, f)
			select {
			case wasReleased := <-nextStarted:
				if !wasReleased {
					t.Fatal("the next sibling started before the program was ready")
				}
			case <-ran:
				t.Fatalf("Run returned before the next sibling started: %v", stop())
			}
			awaitTreeReady(t, sup, ran)
			if got := childStatus(sup, "prog"); got != tc.status {
				t.Errorf("status of prog = %q, want %q", got, tc.status)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run = %v", err)
			}
		})
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// childStatus returns the status the snapshot shows for the child name.
func childStatus(sup *supervisor.Supervisor, name string) string {
	for _, c := range sup.Snapshot().Children {
		if c.Name == name {
			return c.Status
		}
	}
	return "(no such child)"
}

func TestCrashLoopOfAProgramEscalatesAsAGoroutinesWould(t *testing.T) {
	sup := supervisortest.New(t, "root",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: 3, Period: time.Hour}),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: shell(`exit 3`)}),
	)
	err := sup.Run(context.Background())
	var esc *supervisor.EscalationError
	if !errors.As(err, &esc) {
		t.Fatalf("Run = %v, want an escalation", err)
	}
	var ee *process.ExitError
	if !errors.As(err, &ee) || ee.Status != 3 || ee.Signal != 0 {
		t.Fatalf("Run = %v, want it to reach the *ExitError with status 3", err)
	}
	t.Log(err)
}

func TestAThousandRestartsLeaveNoZombieOfTheTestProcess(t *testing.T) {
	const restarts = 1000
	var started atomic.Int64
	enough := make(chan struct{})
	sup := supervisortest.New(t, "root",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
		supervisor.WithObserver(supervisor.ObserverFunc(func(e supervisor.Event) {
			if e.Kind == supervisor.EventStarted && started.Add(1) == restarts+1 {
				close(enough)
			}
		})),
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: &process.Program{Path: "true"}}),
	)
	stop, _ := runTree(t, sup)
	t0 := time.Now()
	<-enough
	took := time.Since(t0)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	if z := procs(func(_ int, s stat) bool { return s.ppid == self && s.state == 'Z' }); len(z) > 0 {
		t.Fatalf("zombies %v of the test process after %d restarts", z, restarts)
	}
	t.Logf("%d restarts of /bin/true in %v (%v each)", restarts, took, took/restarts)
}

func TestManualRestartsAndStopEndEveryProgram(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	p := shell(`echo $$ >> "$1"; echo >&3; exec sleep 60`, pidFile)
	p.Ready = process.NotifyFD{FD: 3}
	sup := supervisortest.New(t, "root",
		supervisor.WithChildren(supervisor.Child{Name: "prog", Actor: p, WaitReady: true}),
	)
	stop, ran := runTree(t, sup)
	awaitTreeReady(t, sup, ran)
	for range 5 {
		if err := sup.Restart("prog"); err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
		if alive(pid) {
			t.Errorf("program %d outlived its incarnation", pid)
		}
	}
	slices.Sort(pids)
	if len(slices.Compact(pids)) != 6 {
		t.Errorf("pids %v: want six programs, one per incarnation", pids)
	}
}

func TestNotifySocketAcceptsAProgramThatDroppedItsPrivileges(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to drop privileges")
	}
	p := helper(t, "notify-as-nobody")
	p.Ready = process.NotifySocket{}
	sup := supervisortest.New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: p, WaitReady: true, StartTimeout: time.Minute},
	))
	stop, ran := runTree(t, sup)
	awaitTreeReady(t, sup, ran)
	if got := childStatus(sup, "prog"); got != "as nobody" {
		t.Errorf("status = %q, want %q", got, "as nobody")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestADeciderReadsTheExitStatus(t *testing.T) {
	// EX_CONFIG (78): a decider leaves the program stopped; the tree runs on.
	decided := make(chan int, 1)
	decider := func(err error) policy.Directive {
		var ee *process.ExitError
		if errors.As(err, &ee) {
			decided <- ee.Status
			if ee.Status == 78 {
				return policy.Stop
			}
		}
		return policy.Restart
	}
	sup := supervisortest.New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: shell(`exit 78`), Decider: decider},
	))
	stop, _ := runTree(t, sup)
	if got := <-decided; got != 78 {
		t.Fatalf("decider saw status %d, want 78", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil: the decider stopped the child, not the tree", err)
	}
	select {
	case got := <-decided:
		t.Fatalf("the decider was asked again (status %d): the child was restarted", got)
	default:
	}
}
