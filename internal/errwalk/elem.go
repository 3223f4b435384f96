package errwalk

// Matches reports whether the one error e (not its chain) matches target
// as errors.Is would: e equals target, or e's Is(error) bool method says
// so. A panicking Is method counts as no match. Use it inside Walk to test
// several targets in one walk.
func Matches(e, target error) bool {
	if e == nil || target == nil {
		return e == target
	}
	return (comparable(target) && comparable(e) && e == target) || callIs(e, target)
}
