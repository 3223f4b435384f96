//go:build unix

package process

import (
	"bytes"
	"os"
	"strings"

	"github.com/arbor-go/arbor/actor"
)

// haveNotifyFD tells whether readiness by file descriptor and by notify
// socket are available.
const haveNotifyFD = true

// prepareFD gives the program the write end of a pipe as descriptor fd;
// the watcher reads the other end until the first newline.
func (in *incarnation) prepareFD(fd int) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	files := make([]*os.File, fd-3+1) // nil entries: closed in the program
	files[fd-3] = w
	in.cmd.ExtraFiles = files
	in.childFiles = append(in.childFiles, w)
	in.closers = append(in.closers, func() { _ = r.Close() })
	in.notifyWatch = func() {
		buf := make([]byte, 512)
		ready := false
		for {
			n, err := r.Read(buf)
			if !ready && bytes.IndexByte(buf[:n], '\n') >= 0 {
				ready = true
				in.markReady()
			}
			if err != nil {
				return
			}
		}
	}
	return nil
}

// prepareSocket makes the program's own notify socket and names it in the
// program's NOTIFY_SOCKET.
func (in *incarnation) prepareSocket() error {
	ns, err := listenNotify()
	if err != nil {
		return err
	}
	in.cmd.Env = append(in.cmd.Env, "NOTIFY_SOCKET="+ns.name)
	in.closers = append(in.closers, ns.close)
	in.notifyWatch = func() {
		buf := make([]byte, 4096)
		ready := false
		for {
			msg, ok, err := ns.read(buf, in.pid)
			if err != nil {
				return
			}
			if !ok {
				continue
			}
			for line := range strings.SplitSeq(msg, "\n") {
				switch {
				case line == "READY=1" && !ready:
					ready = true
					in.markReady()
				case strings.HasPrefix(line, "STATUS="):
					actor.SetStatus(in.ctx, line[len("STATUS="):])
				case line == "WATCHDOG=1":
					actor.Beat(in.ctx)
				}
			}
		}
	}
	return nil
}
