package supervisor_test

import (
	"strconv"
	"syscall"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// realNow returns the wall clock. Inside a synctest bubble time.Now is
// virtual; the system call is not.
func realNow() time.Time {
	var tv syscall.Timeval
	if err := syscall.Gettimeofday(&tv); err != nil {
		panic(err)
	}
	return time.Unix(tv.Unix())
}
