package testutil

import "go.uber.org/zap/zapcore"

// HookCore is a zap core that enables every level and calls OnWrite with
// every entry written to it: a logger's core that blocks (OnWrite waits on
// a channel), panics, or records what it gets, to inject a fault into the
// code that logs. A nil OnWrite writes nothing. With returns the same core.
type HookCore struct {
	OnWrite func(zapcore.Entry)
}

// Enabled reports true for every level.
func (c *HookCore) Enabled(zapcore.Level) bool { return true }

// With returns c: fields are not kept.
func (c *HookCore) With([]zapcore.Field) zapcore.Core { return c }

// Check adds c to ce.
func (c *HookCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(e, c)
}

// Write calls OnWrite with e.
func (c *HookCore) Write(e zapcore.Entry, _ []zapcore.Field) error {
	if c.OnWrite != nil {
		c.OnWrite(e)
	}
	return nil
}

// Sync does nothing.
func (c *HookCore) Sync() error { return nil }
