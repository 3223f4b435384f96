//go:build unix

package process

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
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

// prepareSocket makes the program's own notify socket, in a directory of
// its own (mode 0700), and names it in the program's NOTIFY_SOCKET.
func (in *incarnation) prepareSocket() error {
	dir, err := os.MkdirTemp("", "arbor-notify-")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	in.cmd.Env = append(in.cmd.Env, "NOTIFY_SOCKET="+path)
	in.closers = append(in.closers, func() {
		_ = conn.Close()
		_ = os.RemoveAll(dir)
	})
	in.notifyWatch = func() {
		buf := make([]byte, 4096)
		ready := false
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			for line := range strings.SplitSeq(string(buf[:n]), "\n") {
				switch {
				case line == "READY=1" && !ready:
					ready = true
					in.markReady()
				case strings.HasPrefix(line, "STATUS="):
					actor.SetStatus(in.ctx, line[len("STATUS="):])
				}
			}
		}
	}
	return nil
}
