package supervisortest

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// ObservedLogger returns a zap logger that records every entry at level or
// above, and the records, which tests can filter and count (for example
// logs.FilterMessageSnippet("restarting").Len()). Pass the logger to
// supervisor.WithLogger. It adds no caller and no stack traces of its own.
func ObservedLogger(level zapcore.Level) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(level)
	return zap.New(core), logs
}
