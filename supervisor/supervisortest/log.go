package supervisortest

import (
	"fmt"
	"slices"
	"sync"
)

// Log is an ordered record of what scripted actors did, safe for concurrent
// use. A Script adds "start NAME#i" when incarnation i begins and, just
// before it ends, "stop NAME#i", followed by " err=TEXT" when it returns an
// error, " panic" when it panics or " goexit" when it calls runtime.Goexit.
// Several Scripts may share one Log, which then gives the order of starts
// and stops across a tree; tests and their own actors may add entries too.
// The zero value is ready to use; a nil *Log records nothing.
type Log struct {
	mu      sync.Mutex
	entries []string // guarded by mu
}

// NewLog returns an empty Log.
func NewLog() *Log { return new(Log) }

// Add appends an entry.
func (l *Log) Add(entry string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.entries = append(l.entries, entry)
	l.mu.Unlock()
}

// Addf appends an entry formatted as fmt.Sprintf does.
func (l *Log) Addf(format string, args ...any) {
	if l == nil {
		return
	}
	l.Add(fmt.Sprintf(format, args...))
}

// Entries returns a copy of the entries, oldest first.
func (l *Log) Entries() []string {
	return l.From(0)
}

// From returns a copy of the entries from index i on, oldest first: what
// happened since Len returned i.
func (l *Log) From(i int) []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.entries) {
		return nil
	}
	return slices.Clone(l.entries[max(i, 0):])
}

// Len returns the number of entries.
func (l *Log) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset removes every entry.
func (l *Log) Reset() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
