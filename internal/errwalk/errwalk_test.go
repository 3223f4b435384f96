package errwalk_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"testing"

	"github.com/arbor-go/arbor/internal/errwalk"
)

// selfErr's Unwrap returns its own receiver: errors.Is on it never returns.
type selfErr struct{ name string }

func (e *selfErr) Error() string { return e.name }
func (e *selfErr) Unwrap() error { return e }

// pairErr is one half of a two-element cycle.
type pairErr struct {
	name  string
	other *pairErr
}

func (e *pairErr) Error() string { return e.name }
func (e *pairErr) Unwrap() error { return e.other }

// freshErr's Unwrap returns a new wrapper every time: no cycle check can see
// it, only the limits stop it.
type freshErr struct{ n int }

func (e *freshErr) Error() string { return fmt.Sprint("fresh ", e.n) }
func (e *freshErr) Unwrap() error { return &freshErr{e.n + 1} }

// sliceErr is a value type that is not comparable: == on two of them panics.
type sliceErr struct {
	parts []string
	inner error
}

func (e sliceErr) Error() string { return fmt.Sprint(e.parts) }
func (e sliceErr) Unwrap() error { return e.inner }

// boxErr is a comparable struct type whose field may hold an incomparable
// value: == on two boxes holding sliceErrs panics.
type boxErr struct{ inner error }

func (e boxErr) Error() string { return "box" }
func (e boxErr) Unwrap() error { return e.inner }

// panicUnwrap's Unwrap panics.
type panicUnwrap struct{}

func (panicUnwrap) Error() string { return "panicking Unwrap" }
func (panicUnwrap) Unwrap() error { panic("Unwrap exploded") }

// panicUnwrapMany's Unwrap() []error panics.
type panicUnwrapMany struct{}

func (panicUnwrapMany) Error() string   { return "panicking Unwrap []error" }
func (panicUnwrapMany) Unwrap() []error { panic("Unwrap exploded") }

// panicIs's Is method panics; it wraps inner.
type panicIs struct{ inner error }

func (e panicIs) Error() string      { return "panicking Is" }
func (e panicIs) Is(error) bool      { panic("Is exploded") }
func (e panicIs) Unwrap() error      { return e.inner }
func (e panicIs) As(target any) bool { panic("As exploded") }

// isAll matches every target through its Is method.
type isAll struct{}

func (isAll) Error() string   { return "matches everything" }
func (isAll) Is(error) bool   { return true }
func (isAll) As(t any) bool   { return false }
func (isAll) Timeout() bool   { return false }
func (isAll) Temporary() bool { return false }

// asPath answers As for a **fs.PathError target with a fixed value.
type asPath struct{}

func (asPath) Error() string { return "as path" }
func (asPath) As(target any) bool {
	if p, ok := target.(**fs.PathError); ok {
		*p = &fs.PathError{Op: "open", Path: "/from/As", Err: fs.ErrNotExist}
		return true
	}
	return false
}

// wrapN wraps err n times with fmt.Errorf.
func wrapN(err error, n int) error {
	for i := range n {
		err = fmt.Errorf("level %d: %w", i, err)
	}
	return err
}

func newPair() *pairErr {
	a, b := &pairErr{name: "a"}, &pairErr{name: "b"}
	a.other, b.other = b, a
	return a
}

// collect walks err and returns the messages of the errors visited.
func collect(err error) (visited []string, ok bool) {
	ok = errwalk.Walk(err, func(e error) bool {
		visited = append(visited, errwalk.Message(e))
		return true
	})
	return visited, ok
}

func TestWalk(t *testing.T) {
	leaf1, leaf2 := errors.New("leaf1"), errors.New("leaf2")
	for _, tc := range []struct {
		name   string
		err    error
		want   []string // messages in visiting order; nil for none
		wantOK bool
	}{
		{"nil", nil, nil, true},
		{"single", leaf1, []string{"leaf1"}, true},
		{"wrapped", fmt.Errorf("w: %w", leaf1), []string{"w: leaf1", "leaf1"}, true},
		{"joined", errors.Join(leaf1, nil, leaf2), []string{"leaf1\nleaf2", "leaf1", "leaf2"}, true},
		{"join shares a leaf", errors.Join(leaf1, fmt.Errorf("x: %w", leaf1)), []string{"leaf1\nx: leaf1", "leaf1", "x: leaf1"}, true},
		{"self cycle", &selfErr{"self"}, []string{"self"}, true},
		{"two-element cycle", newPair(), []string{"a", "b"}, true},
		{"cycle inside a join", errors.Join(&selfErr{"s"}, leaf1), []string{"s\nleaf1", "s", "leaf1"}, true},
		{"panicking Unwrap", fmt.Errorf("w: %w", panicUnwrap{}), []string{"w: panicking Unwrap", "panicking Unwrap"}, false},
		{"panicking Unwrap []error", errors.Join(panicUnwrapMany{}, leaf1), []string{"panicking Unwrap []error\nleaf1", "panicking Unwrap []error", "leaf1"}, false},
		{"non-comparable", sliceErr{[]string{"x"}, leaf1}, []string{"[x]", "leaf1"}, true},
		{"comparable type, incomparable contents", boxErr{sliceErr{[]string{"y"}, nil}}, []string{"box", "[y]"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := collect(tc.err)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("visited %q, want %q", got, tc.want)
			}
			if ok != tc.wantOK {
				t.Errorf("Walk = %v, want %v", ok, tc.wantOK)
			}
		})
	}
}

func TestWalkDepthLimit(t *testing.T) {
	leaf := errors.New("leaf")
	// The leaf is on level n+1 when wrapped n times.
	for _, tc := range []struct {
		wraps       int
		wantVisited int
		wantOK      bool
	}{
		{errwalk.MaxDepth - 1, errwalk.MaxDepth, true},
		{errwalk.MaxDepth, errwalk.MaxDepth, false},
		{10 * errwalk.MaxDepth, errwalk.MaxDepth, false},
	} {
		got, ok := collect(wrapN(leaf, tc.wraps))
		if len(got) != tc.wantVisited || ok != tc.wantOK {
			t.Errorf("%d wraps: visited %d, ok %v; want %d, %v", tc.wraps, len(got), ok, tc.wantVisited, tc.wantOK)
		}
	}
	// An Unwrap that makes a fresh wrapper forever.
	got, ok := collect(&freshErr{})
	if len(got) != errwalk.MaxDepth || ok {
		t.Errorf("fresh wrappers: visited %d, ok %v; want %d, false", len(got), ok, errwalk.MaxDepth)
	}
}

func TestWalkNodeLimit(t *testing.T) {
	errs := make([]error, errwalk.MaxNodes+10)
	for i := range errs {
		errs[i] = fmt.Errorf("e%d", i)
	}
	got, ok := collect(errors.Join(errs...))
	if len(got) != errwalk.MaxNodes || ok {
		t.Errorf("visited %d, ok %v; want %d, false", len(got), ok, errwalk.MaxNodes)
	}
	got, ok = collect(errors.Join(errs[:errwalk.MaxNodes-1]...))
	if len(got) != errwalk.MaxNodes || !ok {
		t.Errorf("exactly MaxNodes errors: visited %d, ok %v; want %d, true", len(got), ok, errwalk.MaxNodes)
	}
	// A wide and deep tree of fresh wrappers: the node limit bounds the work.
	wide := make([]error, 100)
	for i := range wide {
		wide[i] = &freshErr{n: i}
	}
	got, ok = collect(errors.Join(wide...))
	if len(got) != errwalk.MaxNodes || ok {
		t.Errorf("wide fresh wrappers: visited %d, ok %v; want %d, false", len(got), ok, errwalk.MaxNodes)
	}
}

func TestWalkStops(t *testing.T) {
	leaf := errors.New("leaf")
	n := 0
	ok := errwalk.Walk(errors.Join(wrapN(leaf, 3), leaf), func(e error) bool {
		n++
		return e != leaf
	})
	if n != 5 || !ok {
		t.Errorf("visited %d, ok %v; want 5 (up to the first leaf), true", n, ok)
	}
}

func TestIs(t *testing.T) {
	target := errors.New("target")
	other := errors.New("other")
	nonComparable := sliceErr{[]string{"t"}, nil}
	selfTarget := &selfErr{"s"}
	for _, tc := range []struct {
		name        string
		err, target error
		want        bool
	}{
		{"nil nil", nil, nil, true},
		{"err nil target", target, nil, false},
		{"nil err", nil, target, false},
		{"same", target, target, true},
		{"different", other, target, false},
		{"wrapped", wrapN(target, 5), target, true},
		{"joined", errors.Join(other, wrapN(target, 2)), target, true},
		{"standard library", fmt.Errorf("read: %w", io.EOF), io.EOF, true},
		{"self cycle", &selfErr{"s"}, target, false},
		{"self cycle matches itself", wrapN(selfTarget, 1), selfTarget, true},
		{"two-element cycle", newPair(), target, false},
		{"beyond a cycle in a join", errors.Join(newPair(), target), target, true},
		{"fresh wrappers", &freshErr{}, target, false},
		{"beyond the depth limit", wrapN(target, errwalk.MaxDepth), target, false},
		{"at the depth limit", wrapN(target, errwalk.MaxDepth-1), target, true},
		{"panicking Unwrap", fmt.Errorf("w: %w", panicUnwrap{}), target, false},
		{"panicking Unwrap, target elsewhere", errors.Join(panicUnwrap{}, target), target, true},
		{"panicking Is", panicIs{target}, target, true},
		{"panicking Is, no match", panicIs{other}, target, false},
		{"Is method", isAll{}, target, true},
		{"non-comparable err", sliceErr{[]string{"x"}, target}, target, true},
		{"non-comparable target", nonComparable, nonComparable, false},
		{"non-comparable target in a box", boxErr{sliceErr{[]string{"x"}, nil}}, boxErr{nonComparable}, false},
		{"comparable box", wrapN(boxErr{target}, 1), boxErr{target}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errwalk.Is(tc.err, tc.target); got != tc.want {
				t.Errorf("Is = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIsAgreesWithErrors checks Is against errors.Is on well-behaved chains.
func TestIsAgreesWithErrors(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), fs.ErrNotExist
	chains := []error{
		a, wrapN(a, 3), errors.Join(a, b), errors.Join(wrapN(b, 2), errors.Join(nil, c)),
		&fs.PathError{Op: "open", Path: "x", Err: c}, isAll{}, boxErr{a},
	}
	for i, err := range chains {
		for _, target := range []error{nil, a, b, c, fs.ErrExist, boxErr{a}} {
			if got, want := errwalk.Is(err, target), errors.Is(err, target); got != want {
				t.Errorf("chain %d, target %v: Is = %v, errors.Is = %v", i, target, got, want)
			}
		}
	}
}

func TestAs(t *testing.T) {
	pathErr := &fs.PathError{Op: "read", Path: "/x", Err: io.EOF}
	if got, ok := errwalk.As[*fs.PathError](wrapN(pathErr, 3)); !ok || got != pathErr {
		t.Errorf("As(*fs.PathError) = %v, %v; want the wrapped error", got, ok)
	}
	if got, ok := errwalk.As[*fs.PathError](errors.New("x")); ok || got != nil {
		t.Errorf("As on a chain without one = %v, %v; want nil, false", got, ok)
	}
	if got, ok := errwalk.As[*fs.PathError](nil); ok || got != nil {
		t.Errorf("As(nil) = %v, %v; want nil, false", got, ok)
	}
	// An interface target.
	if got, ok := errwalk.As[interface{ Timeout() bool }](wrapN(isAll{}, 2)); !ok || got != (isAll{}) {
		t.Errorf("As(interface) = %v, %v; want isAll", got, ok)
	}
	// The As method.
	if got, ok := errwalk.As[*fs.PathError](fmt.Errorf("w: %w", asPath{})); !ok || got.Path != "/from/As" {
		t.Errorf("As through an As method = %v, %v; want /from/As", got, ok)
	}
	// A panicking As method is no match; the walk goes on below it.
	if got, ok := errwalk.As[*fs.PathError](panicIs{pathErr}); !ok || got != pathErr {
		t.Errorf("As below a panicking As method = %v, %v; want the wrapped error", got, ok)
	}
	if _, ok := errwalk.As[*fs.PathError](panicIs{io.EOF}); ok {
		t.Errorf("As with only a panicking As method matched")
	}
	// Cycles, fresh wrappers and panicking Unwraps end.
	for _, err := range []error{&selfErr{"s"}, newPair(), &freshErr{}, fmt.Errorf("w: %w", panicUnwrap{})} {
		if _, ok := errwalk.As[*fs.PathError](err); ok {
			t.Errorf("As(%T) matched", err)
		}
	}
	if got, ok := errwalk.As[*pairErr](fmt.Errorf("w: %w", newPair())); !ok || got.name != "a" {
		t.Errorf("As(*pairErr) = %v, %v; want a", got, ok)
	}
	if got, ok := errwalk.As[sliceErr](wrapN(sliceErr{[]string{"z"}, nil}, 2)); !ok || got.parts[0] != "z" {
		t.Errorf("As(sliceErr) = %v, %v; want [z]", got, ok)
	}
	// A type that is no error never matches (errors.As would panic).
	if _, ok := errwalk.As[int](io.EOF); ok {
		t.Errorf("As[int] matched")
	}
}

// panicError's Error method panics with a value whose Error panics too.
type panicError struct{ v any }

func (e panicError) Error() string { panic(e.v) }

func TestMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, "<nil>"},
		{"plain", io.EOF, "EOF"},
		{"string panic", panicError{"bad"}, "errwalk_test.panicError: Error method panicked: bad"},
		{"error panic", panicError{io.ErrClosedPipe}, "errwalk_test.panicError: Error method panicked: io: read/write on closed pipe"},
		{"nested panic", panicError{panicError{panicError{"deep"}}}, "errwalk_test.panicError: Error method panicked: value of type errwalk_test.panicError"},
		{"nil pointer", (*selfErr)(nil), "*errwalk_test.selfErr: Error method panicked: runtime error: invalid memory address or nil pointer dereference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errwalk.Message(tc.err); got != tc.want {
				t.Errorf("Message = %q, want %q", got, tc.want)
			}
		})
	}
}
