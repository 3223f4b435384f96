// Package supervisor runs actors in supervision trees with the semantics of
// Erlang/OTP supervisors, on structured concurrency.
//
// A Supervisor owns a scope: a context only it cancels and an errgroup that
// joins every goroutine it starts. When a child ends, the supervisor
// classifies the exit (normal, shutdown or abnormal), asks its policy what to
// do and does it: restart that child (OneForOne), all children (OneForAll) or
// it and the ones started after it (RestForOne). When restarts come faster
// than its intensity allows, it stops its whole subtree newest-first and its
// Run returns an *EscalationError; a parent supervisor treats that like any
// other failing child. A *Supervisor is itself an actor.Actor, so trees nest
// to any depth, and the root's failure is its Run's error.
//
// No goroutine outlives the Run that started it, except a child that refuses
// to stop within its shutdown timeout: that one is reported by path, with its
// stack, in a *StuckError.
package supervisor

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/arbor-go/arbor/policy"
)

// Supervisor supervises a list of children. Create one with New; run it
// with Run, directly or as the Actor of a parent's Child. Its methods are
// safe for concurrent use.
type Supervisor struct {
	name string
	cfg  config

	mu        sync.Mutex
	r         *run          // the run in progress, nil between runs; guarded by mu
	stuckLeft []StuckChild  // goroutines of ended runs reported stuck and still alive; guarded by mu
	leftSubs  []*Supervisor // child supervisors of ended runs that had stuck goroutines below; guarded by mu
	readyCh   chan struct{} // closed when a run becomes ready; guarded by mu

	counts counters // running totals; atomic

	subsMu sync.Mutex                      // serialises changes to subs
	subs   atomic.Pointer[[]*Subscription] // immutable slice; read without a lock
}

// New returns a supervisor named name (its path segment, and the root's
// path) configured by opts. It returns a *ConfigError, or an error wrapping
// ErrDuplicateName, if the specification is invalid; nothing is started.
func New(name string, opts ...Option) (*Supervisor, error) {
	switch {
	case name == "":
		return nil, &ConfigError{Field: "Name", Value: `""`, Reason: "must not be empty"}
	case containsSep(name):
		return nil, &ConfigError{Field: "Name", Value: name, Reason: "must not contain " + PathSeparator}
	}
	cfg := defaultConfig()
	for i, o := range opts {
		if o == nil {
			return nil, &ConfigError{Field: "Option[" + strconv.Itoa(i) + "]", Value: nil, Reason: "must not be nil"}
		}
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(cfg.children))
	for i := range cfg.children {
		c := &cfg.children[i]
		if err := c.validate(cfg.auto); err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, &ConfigError{Field: "Child.Name", Value: c.Name, Reason: "is already taken", Err: ErrDuplicateName}
		}
		seen[c.Name] = true
	}
	// cfg.children is already the supervisor's own copy: WithChildren
	// appended the caller's specs to it.
	return &Supervisor{name: name, cfg: cfg}, nil
}

// Name returns the name given to New.
func (s *Supervisor) Name() string { return s.name }

// Strategy returns the supervisor's restart strategy.
func (s *Supervisor) Strategy() policy.Strategy { return s.cfg.strategy }

func containsSep(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == PathSeparator[0] {
			return true
		}
	}
	return false
}
