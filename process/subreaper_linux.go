package process

import (
	"maps"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The subreaper is process-wide: PR_SET_CHILD_SUBREAPER makes every orphan
// among the supervising process's descendants its child, the programs'
// and any other's. So the package reaps only the processes it recognises
// as descendants of its own programs (a tree), never with a wait for any
// child: another os/exec user's child keeps its exit status.
//
// Rejected: reaping every orphan (waitid(P_ALL)) would steal the exit
// status of children other code in the process waits for.

// reapScanInterval is how often the descendants of programs in subreaper
// mode are looked for while they run (and on every SIGCHLD).
const reapScanInterval = 500 * time.Millisecond

// markName is the environment variable that marks a program's descendants.
const markName = "ARBOR_PROCESS_MARK"

// reaper is the process-wide part: the trees of the running programs in
// subreaper mode, and the goroutine that records their descendants and
// reaps those that become the process's children.
var reaper struct {
	once sync.Once     // sets PR_SET_CHILD_SUBREAPER
	seq  atomic.Uint64 // numbers the marks

	mu    sync.Mutex         // guards the fields below
	trees map[*tree]struct{} // the programs in subreaper mode now running
	stop  chan struct{}      // closes to end the goroutine
	done  chan struct{}      // closed when the goroutine has returned
	sigc  chan os.Signal     // SIGCHLD
}

// enableSubreaper makes the process a subreaper, once; it stays one.
func enableSubreaper() {
	reaper.once.Do(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
}

// tree is what the package knows of one program's descendants in
// subreaper mode. Its sets only grow: a process recorded once is the
// program's until the incarnation ends.
type tree struct {
	leader int    // the program's pid (and its group id)
	mark   string // "ARBOR_PROCESS_MARK=<pid>-<n>", in the program's environment

	mu       sync.Mutex     // guards the fields below
	pids     map[int]uint64 // recorded descendants: pid → start time (a pid used again is another process)
	unmarked map[int]uint64 // the process's children whose environment lacks the mark: pid → start time
	groups   map[int]uint64 // process groups that are the program's (its own, its escapees'): id → start time of the process with that pid when recorded, or noProcess
	sess     map[int]uint64 // sessions of its escapees: id → as for groups
	frozen   bool           // freeze has stopped the groups (signal continues them)
}

func newTree() *tree {
	n := reaper.seq.Add(1)
	return &tree{
		mark:     markName + "=" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(n, 10),
		pids:     map[int]uint64{},
		unmarked: map[int]uint64{},
		groups:   map[int]uint64{},
		sess:     map[int]uint64{},
	}
}

// register adds t, whose program has started, to the trees the reaper
// goroutine watches, starting the goroutine for the first one.
func (t *tree) register(leader int) {
	t.mu.Lock()
	t.leader = leader
	t.groups[leader] = noProcess // never taken for reused: the leader is not reaped while t is registered
	t.mu.Unlock()
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if reaper.trees == nil {
		reaper.trees = map[*tree]struct{}{}
	}
	reaper.trees[t] = struct{}{}
	if len(reaper.trees) == 1 {
		reaper.stop, reaper.done = make(chan struct{}), make(chan struct{})
		reaper.sigc = make(chan os.Signal, 1)
		signal.Notify(reaper.sigc, syscall.SIGCHLD)
		go reap(reaper.stop, reaper.done, reaper.sigc)
	}
}

// unregister reaps what is left of t's recorded descendants that are the
// process's children and removes t, stopping the goroutine after the last
// tree. Called once the program has been reaped.
func (t *tree) unregister() {
	t.record(freshScan())
	reaper.mu.Lock()
	delete(reaper.trees, t)
	var stop, done chan struct{}
	if len(reaper.trees) == 0 && reaper.stop != nil {
		signal.Stop(reaper.sigc)
		stop, done = reaper.stop, reaper.done
		reaper.stop, reaper.done = nil, nil
	}
	reaper.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// reap is the reaper goroutine: on every SIGCHLD and every
// reapScanInterval it records the descendants of every tree and reaps
// those of them that are the process's children and have exited.
func reap(stop, done chan struct{}, sigc chan os.Signal) {
	defer close(done)
	tick := time.NewTicker(reapScanInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-sigc:
		case <-tick.C:
		}
		procs := freshScan()
		reaper.mu.Lock()
		trees := make([]*tree, 0, len(reaper.trees))
		for t := range reaper.trees {
			trees = append(trees, t)
		}
		reaper.mu.Unlock()
		for _, t := range trees {
			t.record(procs)
		}
	}
}

// isLeader reports whether pid is the program of a running tree (its own
// incarnation reaps it, never the reaper).
func isLeader(pid int) bool {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	for t := range reaper.trees {
		if t.leaderPID() == pid {
			return true
		}
	}
	return false
}

func (t *tree) leaderPID() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.leader
}

// record adds to t the processes of procs that belong to its program: the
// members of its groups and sessions, the processes recorded before, the
// process's children that carry its mark, and the descendants of all of
// those. The groups and sessions of those that left the program's group
// become the program's own (but never the supervising process's). Then it
// reaps those that are the process's children and have exited. It reports
// how many processes of t are left, zombies included but the program
// itself excluded, and whether it recorded a group not known before.
func (t *tree) record(procs []procStat) (left int, newGroups bool) {
	self := os.Getpid()
	myPgrp, _ := unix.Getpgid(0)
	mySid, _ := unix.Getsid(0)
	t.mu.Lock()
	leader := t.leader
	byPID := make(map[int]procStat, len(procs))
	for _, p := range procs {
		byPID[p.pid] = p
	}
	t.forgetReusedLocked(byPID)
	member := make(map[int]bool, len(t.pids)+1)
	for {
		grew := false
		for _, p := range procs {
			if member[p.pid] || p.pid == self {
				continue
			}
			_, inGroup := t.groups[p.pgrp]
			_, inSess := t.sess[p.sid]
			in := p.pid == leader || t.recorded(p) || inGroup || inSess || member[p.ppid]
			if start, read := t.unmarked[p.pid]; !in && p.ppid == self && !p.dead() && p.pid != leader && !(read && start == p.start) {
				t.mu.Unlock()
				marked := hasMark(p.pid, t.mark)
				in = marked && !isLeader(p.pid)
				t.mu.Lock()
				if !marked {
					t.unmarked[p.pid] = p.start // its environment was read once
				}
			}
			if in {
				member[p.pid] = true
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	// Forget what is gone, so that a pid or group id used again by an
	// unrelated process is not taken for the program's.
	seenPid := make(map[int]bool, len(procs))
	seenGroup := make(map[int]bool, len(procs))
	seenSess := make(map[int]bool, len(procs))
	for _, p := range procs {
		seenPid[p.pid], seenGroup[p.pgrp], seenSess[p.sid] = true, true, true
	}
	maps.DeleteFunc(t.sess, func(s int, _ uint64) bool { return !seenSess[s] })
	maps.DeleteFunc(t.pids, func(pid int, _ uint64) bool { return !seenPid[pid] })
	maps.DeleteFunc(t.unmarked, func(pid int, _ uint64) bool { return !seenPid[pid] })
	maps.DeleteFunc(t.groups, func(g int, _ uint64) bool { return g != leader && !seenGroup[g] })
	var zombies []int
	for _, p := range procs {
		if !member[p.pid] {
			continue
		}
		t.pids[p.pid] = p.start
		if _, known := t.groups[p.pgrp]; p.pgrp != myPgrp && !known {
			t.groups[p.pgrp] = startOf(byPID, p.pgrp)
			newGroups = true
		}
		if _, known := t.sess[p.sid]; p.sid != mySid && !known {
			t.sess[p.sid] = startOf(byPID, p.sid)
		}
		if p.pid == leader {
			continue
		}
		if p.dead() && p.ppid == self {
			zombies = append(zombies, p.pid)
		}
		left++
	}
	t.mu.Unlock()
	for _, pid := range zombies {
		var ws unix.WaitStatus
		if n, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); n == pid && err == nil {
			left--
		}
	}
	return left, newGroups
}

// noProcess marks a group or session id that no process had as its pid
// when it was recorded (its leader had gone).
const noProcess = ^uint64(0)

// startOf returns the start time of the process whose pid is id, or
// noProcess.
func startOf(byPID map[int]procStat, id int) uint64 {
	if p, ok := byPID[id]; ok {
		return p.start
	}
	return noProcess
}

// forgetReusedLocked forgets the groups and sessions whose id is now the
// pid of another process than when they were recorded: the kernel gives
// out a group's or session's id as a pid again only once the group or
// session is gone, so the id now names something else (the group of a
// Setpgid child of other code, say), and is not the program's. The
// program's own group stays (its leader is not reaped while the tree is
// registered). Called with t.mu held.
func (t *tree) forgetReusedLocked(byPID map[int]procStat) {
	reused := func(id int, start uint64) bool {
		p, ok := byPID[id]
		return ok && id != t.leader && p.start != start
	}
	maps.DeleteFunc(t.groups, reused)
	maps.DeleteFunc(t.sess, reused)
}

// recorded reports whether p is a process recorded before: the same pid
// with the same start time, so that a pid given again to an unrelated
// process (another os/exec user's child, say) between two scans is not
// taken for the program's, reaped or signalled. Called with t.mu held.
func (t *tree) recorded(p procStat) bool {
	start, ok := t.pids[p.pid]
	return ok && start == p.start
}

// freeze stops the program's groups (SIGSTOP) and records their members,
// again for every group found, so that no member can leave unseen while
// the groups are signalled: a stopped process cannot call setsid or fork.
func (t *tree) freeze() {
	for range 16 {
		t.send(syscall.SIGSTOP, false)
		if _, more := t.record(freshScan()); !more {
			break
		}
	}
	t.mu.Lock()
	t.frozen = true
	t.mu.Unlock()
}

// signal sends sig to every group of the program, and to every recorded
// process seen alive that is in none of them, then SIGCONT if freeze
// stopped them.
func (t *tree) signal(sig syscall.Signal) {
	t.send(sig, true)
}

func (t *tree) send(sig syscall.Signal, cont bool) {
	procs := freshScan()
	byPID := make(map[int]procStat, len(procs))
	for _, p := range procs {
		byPID[p.pid] = p
	}
	t.mu.Lock()
	t.forgetReusedLocked(byPID)
	groups := maps.Clone(t.groups)
	pids := maps.Clone(t.pids)
	cont = cont && t.frozen
	t.mu.Unlock()
	for g := range groups {
		signalGroup(g, sig, cont)
	}
	for _, p := range procs {
		start, recorded := pids[p.pid]
		if _, inGroup := groups[p.pgrp]; recorded && start == p.start && !inGroup && !p.dead() {
			_ = unix.Kill(p.pid, sig)
			if cont && sig != syscall.SIGKILL {
				_ = unix.Kill(p.pid, syscall.SIGCONT)
			}
		}
	}
}

// alive records the program's descendants, reaps those that have exited,
// and reports whether any is left.
func (t *tree) alive() bool {
	left, _ := t.record(freshScan())
	return left > 0
}
