//go:build !unix

package daemon_test

import "os"

// helperMain is not needed where the process tests do not run.
func helperMain(string) { os.Exit(2) }
