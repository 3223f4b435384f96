package process

import (
	"bytes"
	"os"
	"strconv"
)

// procStat is what the package reads of a process in /proc/<pid>/stat.
type procStat struct {
	pid, ppid, pgrp, sid int
	state                byte // 'R', 'S', 'T', 'Z' (zombie), ...
}

// dead reports whether the process has exited (a zombie, or on its way
// out).
func (p procStat) dead() bool { return p.state == 'Z' || p.state == 'X' || p.state == 'x' }

// scanProcs returns every process in /proc. A process that ends while it
// is read is left out.
func scanProcs() []procStat {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	_ = d.Close()
	out := make([]procStat, 0, len(names))
	buf := make([]byte, 512)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		if st, ok := readStat(pid, buf); ok {
			out = append(out, st)
		}
	}
	return out
}

// readStat reads /proc/<pid>/stat into a procStat, using buf.
func readStat(pid int, buf []byte) (procStat, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	n, _ := f.Read(buf)
	_ = f.Close()
	b := buf[:n]
	// "pid (comm) S ppid pgrp session ...": comm may hold spaces and ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procStat{}, false
	}
	fields := bytes.Fields(b[i+2:])
	if len(fields) < 4 || len(fields[0]) != 1 {
		return procStat{}, false
	}
	st := procStat{pid: pid, state: fields[0][0]}
	st.ppid, _ = strconv.Atoi(string(fields[1]))
	st.pgrp, _ = strconv.Atoi(string(fields[2]))
	st.sid, _ = strconv.Atoi(string(fields[3]))
	return st, true
}

// hasMark reports whether the environment pid started with holds mark
// (as "NAME=value"). A zombie's environment cannot be read.
func hasMark(pid int, mark string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for kv := range bytes.SplitSeq(b, []byte{0}) {
		if string(kv) == mark {
			return true
		}
	}
	return false
}
