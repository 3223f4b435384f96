// Package process runs operating-system programs as supervised children.
//
// A *Program is an actor: each incarnation starts the program once, in a
// process group of its own, and returns when the program has ended and
// been reaped. The child gets all of the tree's semantics (restart types,
// intensity, backoff, escalation, readiness-gated start, ordered shutdown,
// stuck reports, events, the page):
//
//	sup, err := supervisor.New("root", supervisor.WithChildren(
//		supervisor.Child{
//			Name:      "proxy",
//			Actor:     &process.Program{Path: "envoy", Args: []string{"-c", "envoy.yaml"}, Ready: process.NotifySocket{}},
//			WaitReady: true,
//		},
//	))
//
// # Stopping
//
// When the supervisor stops the child, the program's process group gets
// the stop signal (SIGTERM by default), then SIGKILL after the stop
// timeout. When the program exits by itself, what is left of its group is
// stopped the same way (as systemd's KillMode=control-group). The group is
// signalled before the program is reaped (a wait with WNOWAIT, on the
// program's pidfd where the kernel has one), so that its group id cannot
// have been given to another group meanwhile. Run then waits for the
// program's output for at most WaitDelay: a descendant that escaped the
// group and holds stdout cannot keep the incarnation alive. After a
// SIGKILL of the package's, the wait for the group to be gone, the reap
// and that wait share one WaitDelay. The stop timeout is cut so that
// SIGKILL comes WaitDelay plus a fifth of the time left (or a quarter of
// WaitDelay, when that is more) before the supervisor's stop deadline
// (the child's ShutdownTimeout, or the shutdown budget): a child with a
// 3s ShutdownTimeout and the default WaitDelay (1s) has its SIGKILL 1.4s
// after the stop signal at the latest. The fifth is for what no bound
// covers, such as timers that fire late on a loaded machine. If
// even SIGKILL cannot end the program (a process stuck in the kernel), the
// child is reported stuck, and the report names the program's pid
// (supervisor.StuckChild.PID).
//
// What happens on each kind of stop:
//
//	                             Linux                         other Unix                    Windows
//	stop asked (ctx cancelled)   StopSignal to the group,      as Linux                      the program is killed
//	                             SIGKILL after StopTimeout                                   (TerminateProcess); its
//	                                                                                         descendants are not
//	program exits by itself      rest of the group: as above   as Linux, after the reap (*)  nothing more
//	supervising process killed   the program gets SIGKILL      the program lives on          the program lives on
//	                             (Pdeathsig); its group does
//	                             not, unless it arranges it
//	descendant left the group    lives on; found and stopped   lives on                      lives on
//	(setsid, double fork)        with Subreaper
//
// (*) On other Unix systems golang.org/x/sys has no waitid with WNOWAIT:
// the program is reaped first (after its output ended, or WaitDelay), then
// what is left of its group is signalled. The group id stays in use while
// any member lives, so only a group made anew under the same id once every
// member has gone could be reached.
//
// Nothing tells when the last member of a group is gone (without cgroups;
// the program itself, a zombie until it is reaped, still counts for
// kill(-pgid, 0)): on Linux the package reads /proc once when the program
// has ended, and again at growing intervals (1ms to 50ms) while members
// are left. One read serves every incarnation that waits for it, so
// programs stopped together share it; it costs about a millisecond on a
// machine with a few hundred processes. Where /proc is not mounted (or
// hides the members, as hidepid= can for other users' processes), the
// group is taken for empty once the program has exited: its members get
// the stop signal, but no SIGKILL after it.
//
// # Dying with the supervising process
//
// On Linux the program gets SIGKILL when the supervising process dies,
// even by SIGKILL (Pdeathsig). The parent-death signal fires when the
// thread that started the program ends, not the process
// (golang/go#27505), so Run starts the program from its own goroutine
// with the OS thread locked and keeps it locked until the program is
// reaped: no other goroutine can lock that thread and end it meanwhile.
//
// # Subreaper mode
//
// With Program.Subreaper (Linux only; a configuration error elsewhere),
// the supervising process becomes a subreaper (PR_SET_CHILD_SUBREAPER), a
// process-wide setting that stays on once set: every orphaned descendant
// of the process becomes its child. The package then reaps only the
// processes it recognises as a program's descendants, never with a wait
// for any child, so that other os/exec users in the same process keep
// their children's exit statuses. A goroutine records the descendants of
// every program in this mode on each SIGCHLD and every 500ms: the members
// of its group, their descendants, the orphans that carry the program's
// mark (an ARBOR_PROCESS_MARK variable in the environment they started
// with), and the groups and sessions of those that left the group. Before
// signalling, the package stops (SIGSTOP) every group it knows and records
// their members again, until no new group appears, so that no member can
// call setsid or fork while it is signalled; the stop signal is followed
// by SIGCONT.
//
// What can still escape: a descendant that leaves the group, clears its
// environment (or execs with a new one) and is orphaned, all between two
// scans; a descendant that escapes and dies between two scans (it is
// reaped by its parent, or stays a zombie of the process until it exits);
// a process that joins the supervising process's own group or session,
// which are never taken for a program's. A recorded descendant is known by
// its pid and start time, so that a pid given again to an unrelated
// process (another os/exec user's child) is not taken for it; /proc gives
// start times in clock ticks (10ms), so only a pid used again within the
// tick its former owner started in could still be confused. A group or
// session recorded is forgotten once its id is the pid of another process
// than when it was recorded (the kernel gives the id out again only once
// the group or session is gone), so a Setpgid child of other code that got
// that id is not taken for the program's either.
//
// # Readiness
//
// Program.Ready makes WaitReady work for programs: NotifyFD (the s6 way:
// a newline on a file descriptor), NotifySocket (the systemd way: the
// program gets a NOTIFY_SOCKET of its own, and its STATUS= texts become
// the child's status in the tree, the snapshot and the page, through
// actor.SetStatus), TCPProbe or HTTPProbe. On Linux the notify socket is
// an abstract one, which leaves nothing in the file system even when the
// supervising process is killed; it reads only messages whose sender
// (SO_PASSCRED) is of the supervising process's user, root, or a process
// of the program's group (a program that dropped its privileges). On
// other Unix systems it is a socket in a directory of mode 0700. Without it, a program is ready
// once started. On Windows, NotifyFD and NotifySocket are configuration
// errors.
//
// # Output
//
// Unless Program.Stdout or Program.Stderr give the program files of its
// own, each line it writes becomes a log entry of the child, at Info,
// through the loggers in the child's context (supervisor.Logger for zap,
// supervisor.SlogLogger for slog): the message is the line (without a
// "\r" before its newline, and its control characters escaped as "\t",
// "\x1b" and so on, so that an entry is one line), and the entry
// carries the child's "path", the "stream" (stdout or stderr) and the
// "pid". The lines of a stream keep their order; stdout and stderr are
// read apart, so their lines interleave as they are read. Lines longer
// than LineMax are logged in pieces. The output has a
// rate limit of its own (OutputLimit; not the tree's limit on its own
// entries, which would drop nearly all output): lines past it are dropped,
// and their count is logged at Warn ("dropped"). The loggers are called
// from a goroutine of their own, through a bounded queue (1024 lines; 1
// MiB, or two lines of LineMax if more): a logger that falls behind or hangs never blocks the program's
// writes nor its stop; lines past the queue's bound are dropped and
// counted with the rest, and what is still queued when the program has
// been reaped is logged for WaitDelay at most. A SIGKILL the package
// sends after a stop timeout is logged at Warn too, with the pid. These
// entries carry no caller, stack trace or slog source: those would be this
// package's code.
//
// # Exits
//
// An exit with status 0 or one in SuccessExitStatus is a normal exit
// (Run returns nil). Any other end is an *ExitError with the status or
// the signal, which errors.As finds through the supervisor's errors, so a
// decider can read it; a status in RestartPreventExitStatus wraps
// policy.ErrDoNotRestart, and a program killed after its stop timeout
// wraps ErrStopTimeout.
package process
