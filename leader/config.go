package leader

import (
	"errors"
	"os"
	"time"
	"unicode"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// Config describes a Singleton. Elector, Actor and StopBound are required.
type Config struct {
	// Election names the election in log entries and status texts, such
	// as "scheduler". It is not sent to the backend (each Elector is made
	// for its own election). Empty means "election".
	Election string
	// Elector is this replica's candidate in the election.
	Elector Elector
	// Actor is the work that runs only while this replica leads.
	Actor actor.Actor
	// StopBound is how long the actor may take to return once its context
	// is cancelled because the leadership was lost. An actor that takes
	// longer ends the process (see Exit). It must be positive and, with
	// DriftMargin, shorter than what is left of the TTL after the renew
	// deadline: StopBound < TTL - RenewDeadline - DriftMargin.
	StopBound time.Duration
	// DriftMargin covers the difference between the clocks (and their
	// rates) of the replicas and the backend, and the time a replica takes
	// to notice a loss that the others see at once. Zero means a tenth of
	// the TTL; negative is invalid.
	DriftMargin time.Duration
	// Hold is how long the replica keeps its leadership after its actor
	// failed, for the supervisor to run the child again (after its
	// backoff): a new incarnation within Hold leads on under the same term,
	// without a new election. Past Hold the replica resigns: its supervisor
	// has given up on the child (an escalation, a decider's stop, a Remove
	// or a shutdown during the backoff), or its backoff is longer than
	// Hold. Zero means the TTL, as long as the leadership of a replica that
	// crashed would last; negative is invalid.
	Hold time.Duration
	// Exit ends the process when the actor does not return within
	// StopBound after a loss. Nil means os.Exit. Tests replace it; when it
	// returns, the Singleton goes on waiting for the actor.
	Exit func(code int)
}

// ErrBounds is matched by the *supervisor.ConfigError of New when the
// stop bound does not fit in the backend's timing.
var ErrBounds = errors.New("leader: stop bound does not fit in the lease")

// New returns a Singleton for cfg, after checking it against the
// Elector's Timing. A bad value is a *supervisor.ConfigError naming the
// field; bounds that do not fit also match ErrBounds.
func New(cfg Config) (*Singleton, error) {
	if cfg.Election == "" {
		cfg.Election = "election"
	}
	for _, r := range cfg.Election {
		if !unicode.IsPrint(r) {
			return nil, &supervisor.ConfigError{Field: "Config.Election", Value: cfg.Election, Reason: "must be printable"}
		}
	}
	if cfg.Elector == nil {
		return nil, &supervisor.ConfigError{Field: "Config.Elector", Value: nil, Reason: "must not be nil"}
	}
	if cfg.Actor == nil {
		return nil, &supervisor.ConfigError{Field: "Config.Actor", Value: nil, Reason: "must not be nil"}
	}
	if v, ok := cfg.Actor.(actor.Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, &supervisor.ConfigError{Field: "Config.Actor", Value: cfg.Actor, Reason: err.Error(), Err: err}
		}
	}
	tm := cfg.Elector.Timing()
	switch {
	case tm.TTL <= 0:
		return nil, &supervisor.ConfigError{Field: "Timing.TTL", Value: tm.TTL, Reason: "the backend's TTL must be positive", Err: ErrBounds}
	case tm.RenewDeadline <= 0 || tm.RenewDeadline >= tm.TTL:
		return nil, &supervisor.ConfigError{Field: "Timing.RenewDeadline", Value: tm.RenewDeadline,
			Reason: "must be positive and shorter than the TTL " + tm.TTL.String(), Err: ErrBounds}
	}
	if cfg.StopBound <= 0 {
		return nil, &supervisor.ConfigError{Field: "Config.StopBound", Value: cfg.StopBound, Reason: "must be positive"}
	}
	switch {
	case cfg.DriftMargin < 0:
		return nil, &supervisor.ConfigError{Field: "Config.DriftMargin", Value: cfg.DriftMargin, Reason: "must not be negative"}
	case cfg.DriftMargin == 0:
		cfg.DriftMargin = tm.TTL / 10
	}
	switch {
	case cfg.Hold < 0:
		return nil, &supervisor.ConfigError{Field: "Config.Hold", Value: cfg.Hold, Reason: "must not be negative"}
	case cfg.Hold == 0:
		cfg.Hold = tm.TTL
	}
	if left := tm.TTL - tm.RenewDeadline - cfg.DriftMargin; cfg.StopBound >= left {
		return nil, &supervisor.ConfigError{Field: "Config.StopBound", Value: cfg.StopBound,
			Reason: "must be shorter than TTL " + tm.TTL.String() + " - renew deadline " + tm.RenewDeadline.String() +
				" - drift margin " + cfg.DriftMargin.String() + " = " + left.String(), Err: ErrBounds}
	}
	if cfg.Exit == nil {
		cfg.Exit = os.Exit
	}
	return &Singleton{cfg: cfg, timing: tm}, nil
}

// Child returns a supervisor.Child named name that runs s: WaitReady (the
// Singleton is ready at once, leading or not, so this only makes the
// tree's readiness wait for it to run), and a shutdown timeout that leaves
// the actor its stop bound and the resignation its time (StopBound +
// RenewDeadline + DriftMargin). The returned value may be changed before
// it is given to a supervisor, for example to set a Backoff.
func (s *Singleton) Child(name string) supervisor.Child {
	return supervisor.Child{Name: name, Actor: s, WaitReady: true,
		ShutdownTimeout: s.cfg.StopBound + s.timing.RenewDeadline + s.cfg.DriftMargin}
}

// StartDelay returns how long a replica that won the election waits before
// it starts its actor: StopBound + DriftMargin.
func (s *Singleton) StartDelay() time.Duration { return s.cfg.StopBound + s.cfg.DriftMargin }
