package supervisor

// StuckOf returns the *StuckError in err, an error returned by a
// Supervisor's Run, or nil if no child was left stuck. It looks only at
// the errors the supervisor made itself (Run's result, and the stuck
// report joined to an escalation or a start error), so it calls no method
// of any child's error: unlike errors.As, which walks the children's
// errors too, it cannot panic, block or loop whatever those methods do.
// It is meant for the goroutine that called Run, such as a process's
// main, which must not run user code it cannot bound.
func StuckOf(err error) *StuckError {
	switch x := err.(type) {
	case *StuckError:
		return x
	case *joinedError:
		for _, e := range x.errs {
			if se, ok := e.(*StuckError); ok {
				return se
			}
		}
	}
	return nil
}
