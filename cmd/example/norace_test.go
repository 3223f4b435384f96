//go:build !race

package main

// raceEnabled says that the test runs under the race detector, so that the
// end-to-end test builds the example with it too.
const raceEnabled = false
