// Package bench compares arbor's supervisor with plain goroutines,
// golang.org/x/sync/errgroup, github.com/oklog/run and
// github.com/thejerf/suture/v4. See README.md.
package bench
