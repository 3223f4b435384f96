//go:build race

package proptest

// raceEnabled scales the number of generated cases down under the race
// detector, which makes each case several times slower.
const raceEnabled = true
