package supervisortest

import (
	"context"
	"time"
)

// atOnce is a Step that ends as soon as it starts, without calling Ready.
func atOnce(err error) Step {
	return Step{Err: err, ReadyAfter: NoReady, RunFor: AtOnce}
}

// Blocker returns a Script whose every incarnation calls actor.Ready at
// once, then waits for its context to be cancelled and returns nil. Script.Do
// and Script.End end a waiting incarnation when the test says so.
func Blocker(name string, log *Log) *Script {
	return &Script{Name: name, Log: log}
}

// ReadyAfter returns a Script whose every incarnation calls actor.Ready
// after d (a slow start, for a WaitReady child), then waits for its context
// to be cancelled and returns nil.
func ReadyAfter(name string, log *Log, d time.Duration) *Script {
	return &Script{Name: name, Log: log, Default: Step{ReadyAfter: d}}
}

// FailN returns a Script whose first n incarnations return err at once,
// without calling actor.Ready, and whose later incarnations behave as a
// Blocker. For a WaitReady child the failures are therefore start failures.
func FailN(name string, log *Log, n int, err error) *Script {
	steps := make([]Step, max(n, 0))
	for i := range steps {
		steps[i] = atOnce(err)
	}
	return &Script{Name: name, Log: log, Steps: steps}
}

// Failer returns a Script whose every incarnation returns err at once,
// without calling actor.Ready: a crash loop.
func Failer(name string, log *Log, err error) *Script {
	return &Script{Name: name, Log: log, Default: atOnce(err)}
}

// Panicker returns a Script whose every incarnation panics with value at
// once, without calling actor.Ready.
func Panicker(name string, log *Log, value any) *Script {
	step := atOnce(nil)
	step.Panic = value
	return &Script{Name: name, Log: log, Default: step}
}

// Goexiter returns a Script whose every incarnation calls runtime.Goexit at
// once, without calling actor.Ready.
func Goexiter(name string, log *Log) *Script {
	step := atOnce(nil)
	step.Goexit = true
	return &Script{Name: name, Log: log, Default: step}
}

// ReturnNil returns a Script whose every incarnation returns nil at once,
// without calling actor.Ready: a normal exit.
func ReturnNil(name string, log *Log) *Script {
	return &Script{Name: name, Log: log, Default: atOnce(nil)}
}

// Stubborn returns a Script whose every incarnation calls actor.Ready at
// once, waits for its context to be cancelled and then ignores the
// cancellation until Release is called: a child that gets stuck at
// shutdown. Tests must call Release before they end.
func Stubborn(name string, log *Log) *Script {
	return &Script{Name: name, Log: log, Default: Step{IgnoreCancelFor: Forever}}
}

// Sleep waits for d, or until ctx is done, and reports whether d elapsed.
// It is time.Sleep for actors written in tests: it returns as soon as the
// supervisor cancels the incarnation, and inside a synctest bubble it is
// durably blocked, so virtual time moves on while it waits.
func Sleep(ctx context.Context, d time.Duration) bool {
	elapsed, _ := wait(ctx, d, nil)
	return elapsed
}
