package supervisor

// State shared by the children of a group: made fresh for every start of
// the whole group, so that no child restarted with its siblings sees what a
// dead sibling left behind.

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/arbor-go/arbor/policy"
)

// WithShared sets how the state the children share is made (a channel
// between a producer and a consumer, a buffer, a connection pool). newState
// is called before every start of the whole group: the run's first start
// and every restart that starts all the children again, that is each
// OneForAll restart and a RestForOne restart from the first child. Its
// result is what Shared returns to every incarnation started from then on.
//
// What the other starts see:
//
//   - a RestForOne restart of a later child keeps the state: the children
//     before it still run, and still use it;
//   - a manual Restart of one child, or an Add, joins the current state;
//   - a OneForOne restart keeps the state.
//
// newState runs in a goroutine of its own, never with a lock held. A panic
// or runtime.Goexit in it fails that start: during the first start Run
// returns a *StartError naming "(shared)"; during a group restart it counts
// as a failure of the child that caused the restart, retried by the usual
// rules.
//
// WithInit runs once per run, not per group restart: state made there is
// shared across group restarts, which is what WithShared avoids.
func WithShared(newState func() any) Option {
	return func(c *config) { c.shared = newState }
}

// Shared returns the state made by the WithShared function of the
// supervisor whose child's incarnation ctx belongs to, as of the last start
// of the whole group; nil outside a supervisor or without WithShared.
func Shared(ctx context.Context) any {
	c := childOf(ctx)
	if c == nil {
		return nil
	}
	if box := c.r.shared.Load(); box != nil {
		return box.v
	}
	return nil
}

// sharedBox holds one state made by newState.
type sharedBox struct{ v any }

// sharedState is the run's current shared state.
type sharedState = atomic.Pointer[sharedBox]

// renewSharedText makes a fresh shared state, if the supervisor has WithShared,
// in a goroutine of its own, and waits for it unless shutdown begins first.
// It returns the failure of newState (and its text, taken in that
// goroutine), or errAborted.
func (r *run) renewSharedText() (string, error) {
	newState := r.s.cfg.shared
	if newState == nil {
		return "", nil
	}
	type result struct {
		v    any
		err  error
		text string
	}
	done := make(chan result, 1)
	go func() {
		finished := false
		defer func() {
			if finished {
				return
			}
			if v := recover(); v != nil {
				pe := newPanicError(v)
				done <- result{err: pe, text: errText(pe)}
				return
			}
			done <- result{err: ErrGoexit, text: ErrGoexit.Error()}
		}()
		v := newState()
		finished = true
		done <- result{v: v}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return res.text, res.err
		}
		r.shared.Store(&sharedBox{v: res.v})
		return "", nil
	case <-r.quit:
	case <-r.done:
	}
	r.abandoned = append(r.abandoned, func() <-chan struct{} {
		ch := make(chan struct{})
		go func() { <-done; close(ch) }()
		return ch
	}())
	return "", errAborted
}

// hooksLeft waits until deadline (zero: no budget, and they are given a
// worker's default shutdown timeout from now, as an init hook is) for the hook
// calls that shutdown abandoned, and reports those still running. Called on
// Run's goroutine, which owns r.abandoned.
func (r *run) hooksLeft(deadline time.Time) []StuckChild {
	if len(r.abandoned) == 0 {
		return nil
	}
	waited := r.s.cfg.shutdownBudget
	if deadline.IsZero() {
		waited = policy.DefaultShutdownTimeout
		deadline = time.Now().Add(waited)
	}
	t := time.NewTimer(max(time.Until(deadline), 0))
	defer t.Stop()
	expired := t.C
	left, spent := 0, false
	for _, ch := range r.abandoned {
		if !spent {
			// The timer's channel delivers once: after it did, the
			// others are only checked.
			select {
			case <-ch:
				continue
			case <-expired:
				spent = true
			}
		}
		select {
		case <-ch:
		default:
			left++
		}
	}
	if left == 0 {
		return nil
	}
	return []StuckChild{{Path: r.path + PathSeparator + "(shared)", Waited: waited}}
}
