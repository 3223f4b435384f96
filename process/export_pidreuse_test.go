//go:build linux

package process

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// PIDReuseHelper is the body of the pid-reuse test's re-executed copy,
// which runs as the first process of new PID and mount namespaces (so
// that it alone gives out pids, and can choose the next one). It records
// a program's descendant D in a subreaper tree, lets D be reaped by its
// own parent, starts an unrelated child Q with os/exec that gets D's pid,
// lets Q exit, and records the tree again, as the reaper's next scan
// does. It prints Q's exit as its cmd.Wait sees it: "status 7" when the
// tree left Q alone.
func PIDReuseHelper() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "pid-reuse:", err); return 1 }
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fail(err)
	}
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		return fail(err)
	}
	// The program: a shell in a group of its own with a background child D.
	// With ARBOR_PIDREUSE=group, D is an escapee in a session and group of
	// its own (setsid, which is this binary under that name), and Q is
	// started in a group of its own, which then has D's group id.
	group := os.Getenv("ARBOR_PIDREUSE") == "group"
	script := `sleep 3600 & echo $!; wait`
	var args []string
	if group {
		exe, err := os.Executable()
		if err != nil {
			return fail(err)
		}
		dir, err := os.MkdirTemp("", "pidreuse-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(dir)
		if err := os.Symlink(exe, dir+"/setsid"); err != nil {
			return fail(err)
		}
		// D tells its pid once it has called setsid.
		script, args = `"$1" /bin/sh -c 'echo $$; exec sleep 3600' & wait`, []string{"sh", dir + "/setsid"}
	}
	prog := exec.Command("/bin/sh", append([]string{"-c", script}, args...)...)
	prog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := prog.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := prog.Start(); err != nil {
		return fail(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		return fail(fmt.Errorf("no pid from the program"))
	}
	d, err := strconv.Atoi(sc.Text())
	if err != nil {
		return fail(err)
	}
	t := newTree()
	t.leader = prog.Process.Pid
	t.groups[t.leader] = noProcess
	t.record(freshScan())
	if _, ok := t.pids[d]; !ok {
		return fail(fmt.Errorf("descendant %d not recorded", d))
	}
	if _, ok := t.groups[d]; group && !ok {
		return fail(fmt.Errorf("the group of escapee %d not recorded", d))
	}
	// D dies and its parent reaps it; then the program exits (not reaped).
	_ = unix.Kill(d, unix.SIGKILL)
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, t.leader, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		return fail(err)
	}
	// Processes are told apart by pid and start time, which /proc gives
	// in clock ticks (USER_HZ, 100 per second): let D's tick pass, as it
	// would have long before the pid space wrapped round to D's pid.
	for {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
			return fail(err)
		}
		if uint64(ts.Nano()/1e7) > t.pids[d]+1 {
			break
		}
		runtime.Gosched()
	}
	// The next pid given out is D's.
	if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(d-1)), 0); err != nil {
		return fail(err)
	}
	q := exec.Command("/bin/sh", "-c", "exit 7")
	if group {
		q.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := q.Start(); err != nil {
		return fail(err)
	}
	if q.Process.Pid != d {
		return fail(fmt.Errorf("the unrelated child got pid %d, not %d", q.Process.Pid, d))
	}
	if err := unix.Waitid(unix.P_PID, d, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		return fail(err)
	}
	t.record(freshScan())
	err = q.Wait()
	_ = prog.Wait()
	if q.ProcessState != nil && q.ProcessState.Exited() {
		fmt.Printf("status %d\n", q.ProcessState.ExitCode())
	} else {
		fmt.Printf("wait: %v\n", err)
	}
	return 0
}
