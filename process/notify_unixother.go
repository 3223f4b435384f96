//go:build unix && !linux

package process

import (
	"net"
	"os"
	"path/filepath"
)

// notifySocket is a program's notify socket: a socket in a directory of
// its own (mode 0700), removed at the end of the incarnation.
type notifySocket struct {
	conn *net.UnixConn
	name string
	dir  string
}

func listenNotify() (*notifySocket, error) {
	dir, err := os.MkdirTemp("", "arbor-notify-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &notifySocket{conn: conn, name: path, dir: dir}, nil
}

// read returns the next message; the directory's mode admits only the
// supervising process's user (and root).
func (s *notifySocket) read(buf []byte, _ int) (msg string, ok bool, err error) {
	n, _, err := s.conn.ReadFromUnix(buf)
	if err != nil {
		return "", false, err
	}
	return string(buf[:n]), true, nil
}

func (s *notifySocket) close() {
	_ = s.conn.Close()
	_ = os.RemoveAll(s.dir)
}
