package process

import "golang.org/x/sys/unix"

// execLimits returns Linux's limits on execve's strings: MAX_ARG_STRLEN
// for one string, and for all of them (with their pointers) a quarter of
// the stack's soft limit, at most 6 MiB and at least ARG_MAX (128 KiB),
// as fs/exec.c computes it. The program inherits the supervising
// process's stack limit.
func execLimits() (maxString, maxTotal int) {
	const page = 4096
	const maxArgStrlen, argMax, stkLim = 32 * page, 32 * page, 8 << 20
	total := stkLim / 4 * 3
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_STACK, &rl); err == nil && rl.Cur != unix.RLIM_INFINITY {
		total = int(min(uint64(total), rl.Cur/4))
	}
	return maxArgStrlen, max(total, argMax)
}
