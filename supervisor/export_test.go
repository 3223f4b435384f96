package supervisor

// SetTestHookRunPublished sets testHookRunPublished for the duration of a
// test (nil to clear).
func SetTestHookRunPublished(f func(*Supervisor)) { testHookRunPublished = f }

// SetTestHookSubsVisit sets testHookSubsVisit for the duration of a test
// (nil to clear).
func SetTestHookSubsVisit(f func()) { testHookSubsVisit = f }
