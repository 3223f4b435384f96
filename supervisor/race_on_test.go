//go:build race

package supervisor_test

// raceEnabled: the tests run under the race detector, where the deepest
// chains (5,000 supervisors) take most of a minute; they use 2,000 there.
const raceEnabled = true
