// Package errwalk walks error chains without trusting the errors in them.
//
// The methods of an error value (Unwrap, Is, As, Error) are user code. The
// standard library's errors.Is and errors.As follow Unwrap for as long as it
// returns something, so an Unwrap that returns its own receiver makes them
// loop forever, and a panic in any of those methods reaches their caller.
// A supervisor that inspects a child's error with its lock held cannot afford
// either. The functions here keep the meaning of errors.Is and errors.As but
// bound the work:
//
//   - an error met again (a self-returning Unwrap, a longer cycle, or an error
//     shared by two branches of a join) is visited once, when its dynamic
//     value is comparable;
//   - an Unwrap that returns a fresh wrapper forever, which no cycle check can
//     recognise, is cut off by MaxDepth and MaxNodes;
//   - a panic in Unwrap, Is, As or Error is recovered: a panicking Unwrap ends
//     its branch, a panicking Is or As counts as no match, and Message
//     describes a panicking Error;
//   - == is used only on values whose dynamic type and contents are
//     comparable, so an error that holds a slice or a map never makes a
//     comparison panic.
//
// Two things no walker can stop: a method that calls runtime.Goexit ends the
// calling goroutine (deferred calls run, then the goroutine exits), and a
// method that blocks forever blocks its caller. A caller that must survive
// those decides on which goroutine, and with which locks held, to walk.
//
// The package imports only the standard library.
package errwalk

import "reflect"

const (
	// MaxDepth is how many levels deep Walk goes: err itself is the first
	// level, what its Unwrap returns the second.
	MaxDepth = 64
	// MaxNodes is how many errors Walk visits at most in one walk.
	MaxNodes = 1024
)

// Walk calls visit for err and for every error reachable from it through
// Unwrap() error and Unwrap() []error methods, depth-first in the order of
// errors.Is: an error before what it wraps, the errors of a join in order.
// A nil err, or a nil error inside a chain, is not visited. Walk stops as soon
// as visit returns false.
//
// An error whose dynamic value is comparable is visited at most once, so a
// cycle ends the walk of its branch. Walk goes at most MaxDepth levels deep
// and visits at most MaxNodes errors. Every Unwrap call is guarded: a panic
// in it is recovered and ends that branch.
//
// ok is false when Walk could not look everywhere: an Unwrap panicked, or a
// limit cut the walk short. Skipping an error already visited loses nothing
// and leaves ok true; so does visit returning false.
//
// visit itself is not guarded: a panic in visit reaches Walk's caller.
func Walk(err error, visit func(error) bool) (ok bool) {
	w := walker{visit: visit, ok: true}
	w.walk(err, 1)
	return w.ok
}

// walker holds the state of one Walk. It is used by one goroutine only.
type walker struct {
	visit   func(error) bool
	few     [4]error           // the first comparable errors visited, without an allocation
	nfew    int                // how many of few are set
	seen    map[error]struct{} // comparable errors visited after the first len(few); nil until then
	nodes   int                // errors visited so far
	ok      bool               // false once a branch was lost
	stopped bool               // visit returned false or MaxNodes was reached
}

// walk visits err, at the given level (1 for the root), and what it wraps.
func (w *walker) walk(err error, level int) {
	if err == nil || w.stopped {
		return
	}
	if comparable(err) && w.visited(err) {
		return
	}
	if w.nodes == MaxNodes {
		w.ok, w.stopped = false, true
		return
	}
	w.nodes++
	if !w.visit(err) {
		w.stopped = true
		return
	}
	inner, ok := unwrap(err)
	if !ok {
		w.ok = false
		return
	}
	if level == MaxDepth {
		if inner.one != nil || hasNonNil(inner.many) {
			w.ok = false // there is more, below the limit
		}
		return
	}
	if inner.one != nil {
		w.walk(inner.one, level+1)
		return
	}
	for _, e := range inner.many {
		w.walk(e, level+1)
		if w.stopped {
			return
		}
	}
}

// unwrapped is what an Unwrap method returned: one error, or a slice.
type unwrapped struct {
	one  error
	many []error
}

// unwrap calls err's Unwrap method, if it has one, guarding against a panic:
// ok is false when Unwrap did not return normally.
func unwrap(err error) (inner unwrapped, ok bool) {
	defer func() {
		if !ok {
			_ = recover()
			inner = unwrapped{}
		}
	}()
	switch x := err.(type) {
	case interface{ Unwrap() error }:
		inner.one = x.Unwrap()
	case interface{ Unwrap() []error }:
		inner.many = x.Unwrap()
	}
	return inner, true
}

func hasNonNil(errs []error) bool {
	for _, e := range errs {
		if e != nil {
			return true
		}
	}
	return false
}

// comparable reports whether err can be compared with == and used as a map
// key without a panic. It checks the dynamic contents, not only the type: a
// struct type is comparable, yet == on it panics if an interface field holds
// a slice.
//
// Most errors are pointers or plain values of comparable types: they are
// recognised from their type alone, without reflect.Value (which would
// allocate on every call of the restart path).
func comparable(err error) bool {
	t := reflect.TypeOf(err)
	if t == nil || !t.Comparable() {
		return t == nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Bool, reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128,
		reflect.Chan, reflect.UnsafePointer:
		return true
	}
	return reflect.ValueOf(err).Comparable() // a struct or array may hold an interface that holds a slice
}

// visited reports whether err, comparable, was visited already, and records
// it. Most chains are short: the first few errors are kept in an array, so
// that a walk allocates nothing.
func (w *walker) visited(err error) bool {
	for _, e := range w.few[:w.nfew] {
		if e == err {
			return true
		}
	}
	if _, dup := w.seen[err]; dup {
		return true
	}
	if w.nfew < len(w.few) {
		w.few[w.nfew] = err
		w.nfew++
		return false
	}
	if w.seen == nil {
		w.seen = make(map[error]struct{})
	}
	w.seen[err] = struct{}{}
	return false
}
