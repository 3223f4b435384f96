package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/arbor-go/arbor/supervisor"
)

// Defaults of a Program's zero fields.
const (
	// DefaultStopTimeout is how long a program has, after its stop
	// signal, before its process group gets SIGKILL.
	DefaultStopTimeout = 5 * time.Second
	// DefaultWaitDelay is how long the output of a program that has
	// exited (or was killed) may stay open, held by a descendant that
	// escaped the kill, before the package stops reading it.
	DefaultWaitDelay = time.Second
	// DefaultLineMax is the longest line of output logged as one entry;
	// a longer line is split into entries of at most that many bytes.
	DefaultLineMax = 4096
	// DefaultOutputLines and DefaultOutputPer make the default rate
	// limit of output entries: at most that many lines per period.
	DefaultOutputLines = 1000
	DefaultOutputPer   = time.Second
)

// Program is the spec of a program run as a supervised child: it is an
// actor.Actor whose every incarnation starts the program once and returns
// when the program (its whole process group) has ended. Give a *Program as
// a child's Actor. The zero value of every field but Path is useful. A
// Program must not be changed once given to a supervisor; it may be the
// actor of several children (each incarnation has its own state).
type Program struct {
	// Path is the program to run: a path, or a name looked up in PATH.
	// A relative path with a separator ("./bin/server") is relative to
	// Dir when Dir is set, as the program starts there. Add checks that
	// it names an executable file, and every start checks it again.
	Path string
	// Args are the arguments after the program's name (argv[1:]). Args
	// and Env that the system would refuse (a NUL byte; on Linux a string
	// or a total past execve's limits) are a configuration error.
	Args []string
	// Env is the program's environment; nil means the supervising
	// process's (os.Environ). NOTIFY_SOCKET is replaced when Ready is a
	// NotifySocket, and removed otherwise, so that a program never
	// notifies the supervising process's own manager by mistake.
	Env []string
	// Dir is the program's working directory; "" means the supervising
	// process's.
	Dir string

	// StopSignal asks the program to stop (default SIGTERM). It is sent
	// to the program's whole process group. Unused on Windows, where a
	// stop is a kill.
	StopSignal syscall.Signal
	// StopTimeout is how long the group has after StopSignal before it
	// gets SIGKILL (default DefaultStopTimeout). When the supervisor's
	// stop deadline (the child's ShutdownTimeout, or the shutdown
	// budget) comes sooner, SIGKILL is sent early enough that the
	// incarnation can still return before it: WaitDelay plus a fifth of
	// the time left before the deadline (see the package docs).
	StopTimeout time.Duration
	// WaitDelay bounds the wait for the program's output once the
	// program has exited or been killed (default DefaultWaitDelay): a
	// descendant that escaped and holds stdout cannot keep the
	// incarnation alive longer. See os/exec.Cmd.WaitDelay.
	WaitDelay time.Duration

	// SuccessExitStatus lists exit statuses that count as success, as 0
	// does (systemd's SuccessExitStatus=): Run returns nil for them.
	SuccessExitStatus []int
	// RestartPreventExitStatus lists exit statuses after which the
	// program must not be restarted (systemd's
	// RestartPreventExitStatus=): Run's *ExitError then wraps
	// policy.ErrDoNotRestart, which supervisors honour by default.
	RestartPreventExitStatus []int

	// Ready says how the program tells that it is ready: a NotifyFD, a
	// NotifySocket, a TCPProbe or an HTTPProbe (or a pointer to one). nil:
	// it is ready as soon as it has started. Readiness matters to a child
	// with WaitReady.
	Ready Readiness

	// Stdout and Stderr, when set, are given to the program as its
	// standard output and error: it writes there itself (a log file of
	// its own, os.Stderr, a file opened on os.DevNull). The package
	// neither reads nor closes them. When nil, each line the program
	// writes becomes a log entry of the child (see the package docs).
	// The program's standard input is always the null device.
	Stdout, Stderr *os.File
	// LineMax caps the length of a logged line (default DefaultLineMax);
	// a longer line is logged in pieces of LineMax bytes.
	LineMax int
	// OutputLimit caps how many lines are logged (default
	// DefaultOutputLines per DefaultOutputPer); lines past it are
	// dropped and counted, and the count is logged.
	OutputLimit OutputLimit

	// Subreaper makes the supervising process a subreaper (Linux only;
	// a process-wide setting that stays on once set) so that
	// descendants that leave the program's process group (setsid, a
	// double fork) are found, stopped and reaped with it. See the
	// package docs for what it can and cannot catch. On other systems
	// it is a configuration error.
	Subreaper bool
}

// OutputLimit is the rate limit of a program's logged output: at most
// Lines lines in each period of length Per. Zero fields mean the defaults
// (DefaultOutputLines, DefaultOutputPer); Lines < 0 means no limit.
type OutputLimit struct {
	Lines int
	Per   time.Duration
}

// String returns "process " and the program's path, so that a
// configuration error that prints the actor stays readable.
func (p *Program) String() string { return "process " + p.Path }

// Validate checks the spec: supervisors call it when the child is added
// (New, Add), and Run checks again at every start. The error is a
// *supervisor.ConfigError naming the field; for a program that cannot be
// found or run it wraps the error of exec.LookPath (errors.Is finds
// exec.ErrNotFound, fs.ErrNotExist or fs.ErrPermission).
func (p *Program) Validate() error {
	if p == nil {
		return &supervisor.ConfigError{Field: "Program", Value: nil, Reason: "must not be nil"}
	}
	_, err := p.check()
	return err
}

// spec is a Program's values for one incarnation, with defaults applied
// and the path resolved.
type spec struct {
	*Program
	path        string // resolved by exec.LookPath
	stopSignal  syscall.Signal
	stopTimeout time.Duration
	waitDelay   time.Duration
	lineMax     int
	limit       OutputLimit
	ready       Readiness // Program.Ready as a value (not a pointer), or nil
}

// check validates p and returns its values for one incarnation.
func (p *Program) check() (*spec, error) {
	bad := func(field string, value any, reason string, err error) (*spec, error) {
		return nil, &supervisor.ConfigError{Field: "Program." + field, Value: value, Reason: reason, Err: err}
	}
	if p.Path == "" {
		return bad("Path", `""`, "must name a program", exec.ErrNotFound)
	}
	if p.Dir != "" {
		if fi, err := os.Stat(p.Dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = fs.ErrInvalid
			}
			return bad("Dir", p.Dir, "must be a directory", err)
		}
	}
	// A relative path with a separator is run relative to Dir (the
	// program starts there; see exec.Cmd.Path): check that file. A bare
	// name is looked up in PATH by the supervising process, as os/exec
	// does.
	look := p.Path
	if p.Dir != "" && !filepath.IsAbs(p.Path) && strings.ContainsRune(p.Path, filepath.Separator) {
		look = filepath.Join(p.Dir, p.Path)
	}
	path, err := exec.LookPath(look)
	if err != nil && !errors.Is(err, exec.ErrDot) {
		reason := "no such program"
		switch {
		case errors.Is(err, fs.ErrPermission):
			reason = "not an executable file"
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, exec.ErrNotFound):
		default:
			reason = err.Error()
		}
		return bad("Path", p.Path, reason, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return bad("Path", p.Path, "is a directory", fs.ErrPermission)
	}
	if look != p.Path {
		path = p.Path // exec.Cmd resolves it in Dir
	}
	if field, value, reason, err := checkExecArgs(p.Path, p.Args, p.Env); reason != "" {
		return bad(field, value, reason, err)
	}
	s := &spec{Program: p, path: path, stopSignal: p.StopSignal, stopTimeout: p.StopTimeout,
		waitDelay: p.WaitDelay, lineMax: p.LineMax, limit: p.OutputLimit}
	switch {
	case s.stopSignal < 0 || s.stopSignal > maxSignal:
		return bad("StopSignal", int(s.stopSignal), "must be a signal", nil)
	case s.stopSignal == 0:
		s.stopSignal = syscall.SIGTERM
	}
	switch {
	case s.stopTimeout < 0:
		return bad("StopTimeout", s.stopTimeout, "must be >= 0", nil)
	case s.stopTimeout == 0:
		s.stopTimeout = DefaultStopTimeout
	}
	switch {
	case s.waitDelay < 0:
		return bad("WaitDelay", s.waitDelay, "must be >= 0", nil)
	case s.waitDelay == 0:
		s.waitDelay = DefaultWaitDelay
	}
	switch {
	case s.lineMax < 0:
		return bad("LineMax", s.lineMax, "must be >= 0", nil)
	case s.lineMax == 0:
		s.lineMax = DefaultLineMax
	}
	switch {
	case s.limit.Per < 0:
		return bad("OutputLimit.Per", s.limit.Per, "must be >= 0", nil)
	case s.limit.Per == 0:
		s.limit.Per = DefaultOutputPer
	}
	if s.limit.Lines == 0 {
		s.limit.Lines = DefaultOutputLines
	}
	for _, st := range slices.Concat(p.SuccessExitStatus, p.RestartPreventExitStatus) {
		if st < 0 || st > 255 {
			return bad("SuccessExitStatus", st, "exit statuses are 0 to 255", nil)
		}
	}
	if p.Subreaper && !haveSubreaper {
		return bad("Subreaper", true, "a subreaper needs Linux, not "+runtime.GOOS, errors.ErrUnsupported)
	}
	if p.Ready != nil {
		r, err := readinessValue(p.Ready)
		if err == nil {
			err = r.validate()
		}
		if err != nil {
			var ce *supervisor.ConfigError
			if errors.As(err, &ce) {
				ce.Field = "Program.Ready." + ce.Field
			}
			return nil, err
		}
		s.ready = r
	}
	return s, nil
}

// maxSignal is the highest signal number (SIGRTMAX on Linux).
const maxSignal = 64

// readinessValue returns r as a value: a pointer to a readiness kind is
// accepted too, a nil one is a configuration error.
func readinessValue(r Readiness) (Readiness, error) {
	nilPtr := func(name string) (Readiness, error) {
		return nil, &supervisor.ConfigError{Field: name, Value: nil, Reason: "must not be a nil pointer"}
	}
	switch v := r.(type) {
	case *NotifyFD:
		if v == nil {
			return nilPtr("NotifyFD")
		}
		return *v, nil
	case *NotifySocket:
		if v == nil {
			return nilPtr("NotifySocket")
		}
		return *v, nil
	case *TCPProbe:
		if v == nil {
			return nilPtr("TCPProbe")
		}
		return *v, nil
	case *HTTPProbe:
		if v == nil {
			return nilPtr("HTTPProbe")
		}
		return *v, nil
	}
	return r, nil
}

// stopSlackShare is the share of the time left before the supervisor's
// stop deadline (one part in stopSlackShare: a fifth) that a stop keeps,
// beyond WaitDelay, for what no bound of the package's covers: a timer
// that fires late (Run's goroutine keeps its OS thread locked, which the
// kernel must schedule), the killed processes' exit, the wakeups of the
// supervisor. A quarter of WaitDelay, when that is more.
//
// Rejected: a fixed slack (a quarter of WaitDelay alone, as before). It
// is a constant while the delays it must absorb grow with the machine's
// load: with a 3s shutdown timeout and a 200ms WaitDelay it left 50ms;
// beside CPU-bound processes (load 18 on 2 cores, under the race
// detector) the stop timer was seen firing up to 500ms late, and the
// child was reported stuck although nothing was. A share of the time
// left grows with the deadline the user chose.
const stopSlackShare = 5

// stopTimeoutFor returns how long to wait after the stop signal before
// SIGKILL: the spec's timeout, cut so that SIGKILL, the WaitDelay window
// that follows it (the wait for the group to be gone, the reap and the
// wait for the output share it: see incarnation.killEnd) and a slack
// (stopSlackShare) still fit before the supervisor's stop deadline.
func (s *spec) stopTimeoutFor(ctx context.Context) time.Duration {
	d := s.stopTimeout
	if dl, ok := supervisor.StopDeadline(ctx); ok {
		left := time.Until(dl)
		slack := max(left/stopSlackShare, s.waitDelay/4)
		d = max(min(d, left-s.waitDelay-slack), 0)
	}
	return d
}

// exitMeaning returns what an exit status means to the spec: success,
// "do not restart", or neither.
func (s *spec) exitMeaning(status int) (success, prevent bool) {
	return status == 0 || slices.Contains(s.SuccessExitStatus, status),
		slices.Contains(s.RestartPreventExitStatus, status)
}

// pathError is the error of a start that failed.
func startError(path string, err error) error {
	return fmt.Errorf("process: start %s: %w", path, err)
}
