package errwalk_test

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/arbor-go/arbor/internal/errwalk"
)

// loopErr's Unwrap returns its own receiver, so errors.Is(loopErr{}, x)
// never returns.
type loopErr struct{}

func (e *loopErr) Error() string { return "loop" }
func (e *loopErr) Unwrap() error { return e }

func ExampleIs() {
	err := fmt.Errorf("open config: %w", fs.ErrNotExist)
	fmt.Println(errwalk.Is(err, fs.ErrNotExist))

	// A self-returning Unwrap is caught by the cycle check.
	fmt.Println(errwalk.Is(fmt.Errorf("child: %w", &loopErr{}), fs.ErrNotExist))
	// Output:
	// true
	// false
}

func ExampleAs() {
	err := fmt.Errorf("load: %w", &fs.PathError{Op: "open", Path: "/etc/app.conf", Err: fs.ErrNotExist})
	if pe, ok := errwalk.As[*fs.PathError](err); ok {
		fmt.Println(pe.Path)
	}
	// Output:
	// /etc/app.conf
}

func ExampleWalk() {
	err := errors.Join(errors.New("a"), fmt.Errorf("b: %w", &loopErr{}))
	ok := errwalk.Walk(err, func(e error) bool {
		fmt.Printf("%q\n", e.Error())
		return true
	})
	fmt.Println("complete:", ok)
	// Output:
	// "a\nb: loop"
	// "a"
	// "b: loop"
	// "loop"
	// complete: true
}

// panicky's Error method panics.
type panicky struct{}

func (panicky) Error() string { panic("no message today") }

func ExampleMessage() {
	fmt.Println(errwalk.Message(panicky{}))
	// Output:
	// errwalk_test.panicky: Error method panicked: no message today
}
