package process

import (
	"os"
	"strings"
	"syscall"
)

// envSlack is room for what the package adds to a program's environment
// (its NOTIFY_SOCKET, its subreaper mark).
const envSlack = 256

// checkExecArgs reports an argument or environment that execve would
// refuse, so that it is a configuration error when the child is added
// rather than a start that fails at every restart: a NUL byte (it would
// cut the string), a string longer than the kernel takes, or a total past
// its limit (see execLimits). It returns the field at fault, the index of
// the string (or the bytes counted for a total) and why, or "" for a
// reason when all is well. A nil env is the supervising
// process's.
func checkExecArgs(path string, args, env []string) (field string, value any, reason string, err error) {
	if env == nil {
		env = os.Environ()
	}
	if strings.IndexByte(path, 0) >= 0 {
		return "Path", path, "must not contain a NUL byte", nil
	}
	maxString, maxTotal := execLimits()
	argBytes, envBytes := len(path)+1, envSlack
	for i, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			return "Args", i, "argument must not contain a NUL byte", nil
		}
		if maxString > 0 && len(a)+1 > maxString {
			return "Args", i, "argument is longer than the system takes", syscall.E2BIG
		}
		argBytes += len(a) + 1 + ptrSize
	}
	for i, kv := range env {
		if strings.IndexByte(kv, 0) >= 0 {
			return "Env", i, "variable must not contain a NUL byte", nil
		}
		if maxString > 0 && len(kv)+1 > maxString {
			return "Env", i, "variable is longer than the system takes", syscall.E2BIG
		}
		envBytes += len(kv) + 1 + ptrSize
	}
	if maxTotal > 0 && argBytes+envBytes+2*ptrSize > maxTotal {
		if envBytes >= argBytes {
			return "Env", envBytes, "the arguments and environment together are larger than the system takes", syscall.E2BIG
		}
		return "Args", argBytes, "the arguments and environment together are larger than the system takes", syscall.E2BIG
	}
	return "", nil, "", nil
}

// ptrSize is the size of a pointer in the program's argv and envp.
const ptrSize = 8
