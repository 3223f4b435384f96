package errwalk

import "fmt"

// Is reports whether any error in err's chain matches target, as errors.Is
// does: an error matches if it equals target, or if it has a method
// Is(error) bool that returns true for target. Unlike errors.Is, it walks the
// chain with Walk's limits and cycle check, compares with == only values
// that are comparable, and treats an Is method that panics as no match.
//
// As with errors.Is, Is(nil, nil) is true and Is(err, nil) is false for a
// non-nil err.
func Is(err, target error) bool {
	if err == nil || target == nil {
		return err == target
	}
	// When target is comparable, == cannot panic: two values of different
	// dynamic types are unequal without looking inside, and a value of
	// target's type that holds something incomparable where target does not
	// differs in that dynamic type.
	targetComparable := comparable(target)
	found := false
	Walk(err, func(e error) bool {
		if (targetComparable && e == target) || callIs(e, target) {
			found = true
			return false
		}
		return true
	})
	return found
}

// callIs calls e's Is method, if it has one. A panic in it counts as false.
func callIs(e, target error) (match bool) {
	x, ok := e.(interface{ Is(error) bool })
	if !ok {
		return false
	}
	defer func() {
		if !match {
			_ = recover() // nil when Is returned false normally
		}
	}()
	return x.Is(target)
}

// As finds the first error in err's chain that is a T, as errors.As does,
// and returns it. An error is a T if its dynamic type is T (or implements T,
// when T is an interface type), or if it has a method As(any) bool that,
// given a *T, sets it and returns true. Unlike errors.As, it walks the chain
// with Walk's limits and cycle check, and treats an As method that panics as
// no match. Being generic, it cannot be given a bad target.
func As[T any](err error) (T, bool) {
	var found T
	ok := false
	Walk(err, func(e error) bool {
		if t, is := e.(T); is {
			found, ok = t, true
			return false
		}
		if x, has := e.(interface{ As(any) bool }); has {
			var t T
			if callAs(x, &t) {
				found, ok = t, true
				return false
			}
		}
		return true
	})
	return found, ok
}

// callAs calls x.As(target). A panic in it counts as false.
func callAs(x interface{ As(any) bool }, target any) (match bool) {
	defer func() {
		if !match {
			_ = recover()
		}
	}()
	return x.As(target)
}

// Message returns err.Error(), or "<nil>" for a nil err. If Error panics,
// Message recovers and returns a description of err's type and of the panic
// value instead, so that logging a user's error cannot crash its caller.
func Message(err error) (msg string) {
	if err == nil {
		return "<nil>"
	}
	done := false
	defer func() {
		if !done {
			v := recover()
			msg = fmt.Sprintf("%T: Error method panicked: %s", err, describe(v))
		}
	}()
	msg = err.Error()
	done = true
	return msg
}

// describe formats a recovered panic value. The value can be an error or a
// Stringer whose method panics too; then only its type is given.
func describe(v any) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("value of type %T", v)
		}
	}()
	return fmt.Sprint(v)
}
