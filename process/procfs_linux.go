package process

import (
	"bytes"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// procStat is what the package reads of a process in /proc/<pid>/stat.
type procStat struct {
	pid, ppid, pgrp, sid int
	state                byte   // 'R', 'S', 'T', 'Z' (zombie), ...
	start                uint64 // when it started, in clock ticks after boot: with pid, it names one process
}

// dead reports whether the process has exited (a zombie, or on its way
// out).
func (p procStat) dead() bool { return p.state == 'Z' || p.state == 'X' || p.state == 'x' }

// scans coalesces the scans of /proc: a caller needs a scan that began
// after its call (what it looks for may have changed just before), and
// every caller that arrives while a scan runs shares the next one. With
// many programs stopping at once, this turns one scan per program into a
// few in all. (The members of a process group cannot be listed any other
// way without cgroups: a zombie leader still counts for kill(-pgid, 0).)
var scans struct {
	mu      sync.Mutex
	cond    *sync.Cond
	started uint64     // scans begun
	done    uint64     // the number of the scan whose result is kept
	running bool       // a scan is under way
	result  []procStat // the result of scan done; shared, read-only
}

func init() { scans.cond = sync.NewCond(&scans.mu) }

// freshScan returns every process in /proc, read by a scan that began
// after the call. The slice is shared: callers must not change it.
func freshScan() []procStat {
	s := &scans
	s.mu.Lock()
	defer s.mu.Unlock()
	need := s.started + 1
	for s.done < need {
		if s.running {
			s.cond.Wait()
			continue
		}
		s.running = true
		s.started++
		mine := s.started
		s.mu.Unlock()
		res := scanProcs()
		s.mu.Lock()
		s.result, s.done, s.running = res, mine, false
		s.cond.Broadcast()
	}
	return s.result
}

// scanProcs reads every process in /proc. A process that ends while it is
// read is left out. It uses raw system calls: an os.File per process
// would cost more system calls (the poller's registration) and garbage.
func scanProcs() []procStat {
	dfd, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(dfd)
	var out []procStat
	dents := make([]byte, 16<<10)
	buf := make([]byte, 512)
	path := make([]byte, 0, 32)
	for {
		n, err := unix.Getdents(dfd, dents)
		if err != nil || n <= 0 {
			return out
		}
		for b := dents[:n]; len(b) > 0; {
			// struct linux_dirent64: ino u64, off u64, reclen u16, type u8, name.
			reclen := int(b[16]) | int(b[17])<<8
			if reclen <= 19 || reclen > len(b) {
				break
			}
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[reclen:]
			if len(name) == 0 || name[0] < '1' || name[0] > '9' {
				continue
			}
			pid, err := strconv.Atoi(string(name))
			if err != nil {
				continue
			}
			path = append(append(path[:0], name...), "/stat"...)
			if st, ok := readStat(dfd, pid, path, buf); ok {
				out = append(out, st)
			}
		}
	}
}

// statOf reads /proc/<pid>/stat.
func statOf(pid int) (procStat, bool) {
	return readStat(unix.AT_FDCWD, pid, []byte("/proc/"+strconv.Itoa(pid)+"/stat"), make([]byte, 512))
}

// readStat reads /proc/<pid>/stat (path, relative to /proc's descriptor
// dfd, or absolute) into a procStat, using buf.
func readStat(dfd, pid int, path, buf []byte) (procStat, bool) {
	fd, err := unix.Openat(dfd, string(path), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procStat{}, false
	}
	n, _ := unix.Read(fd, buf)
	_ = unix.Close(fd)
	if n <= 0 {
		return procStat{}, false
	}
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
	if len(fields) > 19 { // field 22 of the line, starttime
		st.start, _ = strconv.ParseUint(string(fields[19]), 10, 64)
	}
	return st, true
}

// hasMark reports whether the environment pid started with holds mark
// (as "NAME=value"). A zombie's environment cannot be read.
func hasMark(pid int, mark string) bool {
	b, err := readFile("/proc/" + strconv.Itoa(pid) + "/environ")
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

// readFile reads a whole small file of /proc.
func readFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}
