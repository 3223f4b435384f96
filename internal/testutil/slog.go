package testutil

import (
	"context"
	"log/slog"
	"sync"
)

// SlogRecorder is a slog.Handler that keeps a copy of every record it is
// given, at every level. It ignores WithAttrs and WithGroup: it is for
// checking what a library writes itself (the message, the record's own
// attributes, its PC), not what a logger's callers add. Safe for
// concurrent use.
type SlogRecorder struct {
	mu   sync.Mutex
	recs []slog.Record // guarded by mu
}

// Enabled reports true: every level is kept.
func (h *SlogRecorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps a clone of r.
func (h *SlogRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}

// WithAttrs returns h itself: the attributes are not kept.
func (h *SlogRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h itself: the group is not kept.
func (h *SlogRecorder) WithGroup(string) slog.Handler { return h }

// Records returns the records kept so far, oldest first.
func (h *SlogRecorder) Records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.recs...)
}
