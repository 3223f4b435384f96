package testutil_test

import (
	"log/slog"
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
)

// SlogRecorder keeps every record, of every level, in order.
func TestSlogRecorderKeepsEveryRecord(t *testing.T) {
	h := &testutil.SlogRecorder{}
	log := slog.New(h).With("ignored", 1)
	log.Debug("one", "k", 1)
	log.Error("two")
	recs := h.Records()
	if len(recs) != 2 || recs[0].Message != "one" || recs[1].Message != "two" || recs[0].NumAttrs() != 1 {
		t.Fatalf("records %v", recs)
	}
}
