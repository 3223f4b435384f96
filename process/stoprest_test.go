//go:build linux

package process_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"golang.org/x/sys/unix"
)

// A program exits by itself and leaves a group member that ignores its
// stop signal; while the package waits out the stop timeout (an hour)
// before that member's SIGKILL, the tree is stopped with a shutdown
// timeout of 3s: the SIGKILL must come early enough for the child to
// return in time, as it does for a stop of a running program (no stuck
// report).
func TestAStopDuringTheStopOfWhatIsLeftOfTheGroupIsCutToFitTheShutdownTimeout(t *testing.T) {
	stopDuringTheStopOfWhatIsLeft(t, 200*time.Millisecond)
}

// stopDuringTheStopOfWhatIsLeft stops the tree, with a shutdown timeout
// of 3s, while the package waits out the stop timeout (an hour) of the
// member a program left when it exited by itself; the program's
// WaitDelay is waitDelay. Run must return nil (no stuck report).
func stopDuringTheStopOfWhatIsLeft(t *testing.T, waitDelay time.Duration) {
	t.Helper()
	dir := t.TempDir()
	up, term := filepath.Join(dir, "up"), filepath.Join(dir, "term")
	for _, f := range []string{up, term} {
		if err := unix.Mkfifo(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The member tells (through the fifo "term") each SIGTERM it gets, and
	// lives on; the leader exits once the member's trap is set. The member
	// sleeps in the background and waits for it with the wait builtin,
	// which a trapped signal interrupts at once: a shell runs no trap while
	// a foreground command runs, so a SIGTERM that came just before the
	// foreground sleep was started (it missed the sleep) was told only
	// when the sleep ended, an hour later, and the test hung.
	p := shell(`(trap 'echo term > "$2"' TERM; echo up > "$1"; while :; do sleep 3600 & wait $!; done) & read x < "$1"; exit 0`, up, term)
	p.StopTimeout = time.Hour
	p.WaitDelay = waitDelay
	sup := supervisortest.New(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "prog", Actor: p, Restart: policy.Temporary, ShutdownTimeout: 3 * time.Second},
	))
	stop, _ := runTree(t, sup)
	// The package has sent the rest of the group its stop signal: it is
	// now waiting out the stop timeout.
	f, err := os.Open(term)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil: what is left of the group is killed before the shutdown timeout", err)
	}
}
