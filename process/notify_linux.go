package process

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// notifySocket is a program's notify socket. On Linux it is an abstract
// socket ("@..."; sd_notify implementations accept the name as systemd
// gives it): it leaves nothing behind in the file system, even when the
// supervising process is killed. An abstract socket has no permissions,
// so each message carries its sender's credentials (SO_PASSCRED), and only
// messages from the supervising process's user, root, or a process of the
// program's group (a program that dropped its privileges) are read.
type notifySocket struct {
	conn *net.UnixConn
	name string
	oob  []byte
}

func listenNotify() (*notifySocket, error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	name := "@arbor-notify/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(rnd[:])
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &notifySocket{conn: conn, name: name, oob: make([]byte, unix.CmsgSpace(unix.SizeofUcred))}, nil
}

// read returns the next message, and whether it comes from the
// supervising process's user, root, or a process of group.
func (s *notifySocket) read(buf []byte, group int) (msg string, ok bool, err error) {
	n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, s.oob)
	if err != nil {
		return "", false, err
	}
	cmsgs, err := unix.ParseSocketControlMessage(s.oob[:oobn])
	if err != nil {
		return "", false, nil
	}
	for i := range cmsgs {
		if cred, err := unix.ParseUnixCredentials(&cmsgs[i]); err == nil {
			uid := int(cred.Uid)
			ok := uid == os.Getuid() || uid == 0
			if !ok {
				st, found := statOf(int(cred.Pid))
				ok = found && st.pgrp == group
			}
			return string(buf[:n]), ok, nil
		}
	}
	return "", false, nil
}

func (s *notifySocket) close() { _ = s.conn.Close() }
