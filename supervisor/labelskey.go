package supervisor

import (
	"context"
	"runtime/pprof"
)

// labelsKey is the key under which runtime/pprof keeps a context's labels
// (pprof.WithLabels), or nil if it could not be learnt. A child's record
// answers it from its run's labels (see child.Value), so that the labels of
// a child's context are found without a walk up every level of the tree:
// a supervisor wrapped in another actor (KindSupervisor) looks them up when
// its run begins, and pprof.Do in a child merges with them.
//
// runtime/pprof does not export the key. It is learnt once, by asking a
// context that records the key it is asked for (pprof.ForLabels looks the
// labels up with Value), and checked against a labelled context; if either
// fails, labelsKey is nil and lookups walk up the tree as any other.
var labelsKey = learnLabelsKey()

// keyRecorder is a context that records the last key it was asked for.
type keyRecorder struct {
	context.Context
	key any
}

func (k *keyRecorder) Value(key any) any {
	k.key = key
	return nil
}

func learnLabelsKey() any {
	rec := &keyRecorder{Context: context.Background()}
	pprof.ForLabels(rec, func(string, string) bool { return true })
	if rec.key == nil {
		return nil
	}
	probe := pprof.WithLabels(context.Background(), pprof.Labels("k", "v"))
	if probe.Value(rec.key) == nil {
		return nil
	}
	return rec.key
}
