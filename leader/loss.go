package leader

import "sync"

// Loss records that a term is lost, and why. It implements the Lost and
// Err methods of [Term], so a backend's term can embed it and call Lose
// wherever it learns that the term is over.
//
// The zero value is a Loss not yet lost, ready to use. A Loss must not be
// copied after first use. Its methods may be called from any goroutine.
type Loss struct {
	mu   sync.Mutex
	lost chan struct{} // guarded by mu: made on first use, closed by the first Lose
	done bool          // guarded by mu: Lose was called
	err  error         // guarded by mu: the first Lose's error
}

// Lost returns a channel that is closed by the first call of Lose.
func (l *Loss) Lost() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.chanLocked()
}

// Err returns the error given to the first call of Lose, or nil before
// that call.
func (l *Loss) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Lose marks the term as lost because of err and closes the channel
// returned by Lost. Only the first call has an effect; later calls, and
// their errors, are ignored. err should not be nil, so that Err says why
// the term was lost.
func (l *Loss) Lose(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return
	}
	l.done = true
	l.err = err
	close(l.chanLocked())
}

// chanLocked returns the channel, made on first use; l.mu must be held.
func (l *Loss) chanLocked() chan struct{} {
	if l.lost == nil {
		l.lost = make(chan struct{})
	}
	return l.lost
}
