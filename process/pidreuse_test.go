//go:build linux

package process_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// In subreaper mode, a descendant recorded by pid that has gone, whose
// pid is given again to a child of the supervising process started by
// other code, is not taken for the program's: that child keeps its exit
// status. The re-executed copy runs in PID and mount namespaces of its
// own, where it chooses the next pid (ns_last_pid); it needs root.
func TestSubreaperLeavesAChildThatReusedADescendantsPIDAlone(t *testing.T) {
	testPIDReuse(t, "pid")
}

// Likewise for a group id: an escapee's group, recorded as the program's,
// empties; its id is given again to a child that other code starts in a
// group of its own (a Setpgid child, another Program's leader): that
// group is not the program's, and its child keeps its exit status.
func TestSubreaperLeavesAChildThatReusedAnEscapeesGroupIDAlone(t *testing.T) {
	testPIDReuse(t, "group")
}

func testPIDReuse(t *testing.T, kind string) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: new PID and mount namespaces, and ns_last_pid")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=pid-reuse", "ARBOR_PIDREUSE="+kind)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if e := errb.String(); os.IsPermission(err) || strings.Contains(e, "operation not permitted") ||
			strings.Contains(e, "permission denied") || strings.Contains(e, "read-only file system") {
			t.Skipf("namespaces not available: %v %s", err, errb.String())
		}
		t.Fatalf("the re-executed copy failed: %v\n%s", err, errb.String())
	}
	if got := strings.TrimSpace(out.String()); got != "status 7" {
		t.Fatalf("the unrelated child's cmd.Wait saw %q, want its exit status 7: the subreaper reaped it", got)
	}
}
