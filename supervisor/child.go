package supervisor

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
)

// Kind says whether a child is a worker or a supervisor. A supervisor child
// gets an infinite default shutdown timeout and is always waited for until
// it is ready. The zero value, KindAuto, recognises a *Supervisor given
// directly as the Actor; a supervisor wrapped in another actor must be
// declared KindSupervisor.
type Kind uint8

const (
	KindAuto       Kind = iota // a worker, unless the Actor is a *Supervisor
	KindWorker                 // a worker
	KindSupervisor             // a supervisor, possibly wrapped
)

// String returns "auto", "worker" or "supervisor".
func (k Kind) String() string {
	switch k {
	case KindAuto:
		return "auto"
	case KindWorker:
		return "worker"
	case KindSupervisor:
		return "supervisor"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// PanicMode says what happens when a child panics.
type PanicMode uint8

const (
	PanicDefault PanicMode = iota // the supervisor's setting (see WithCrashOnPanic)
	PanicRecover                  // recover the panic into a *PanicError, an abnormal exit
	PanicCrash                    // let the panic crash the process
)

// Child is the specification of one supervised child. The zero value plus a
// Name and an Actor is a useful child: Permanent, the supervisor's backoff,
// the default shutdown timeout, no readiness wait.
type Child struct {
	// Name is the child's path segment; unique among its siblings, not
	// empty, without '/', and printable: valid UTF-8 of runes for which
	// unicode.IsPrint holds (letters, marks, numbers, punctuation, symbols
	// and the ASCII space), so that a name cannot break or forge lines of
	// logs and of the text snapshot.
	Name string
	// Actor is the work to supervise. A *Supervisor is an Actor, so trees
	// nest.
	Actor actor.Actor
	// Restart says after which exits the child is restarted.
	Restart policy.RestartType
	// Significant marks a Transient or Temporary child whose end can shut the
	// supervisor down (see WithAutoShutdown).
	Significant bool
	// WaitReady makes the supervisor wait, before starting the next child,
	// until this child calls actor.Ready with its context. Supervisors are
	// always waited for.
	WaitReady bool
	// StartTimeout bounds the wait for readiness; zero means the
	// supervisor's default (see WithStartTimeout), policy.Infinity no limit.
	StartTimeout time.Duration
	// ShutdownTimeout bounds the wait for the child to stop after its
	// context is cancelled; zero means 5s for a worker and no limit for a
	// supervisor, policy.Infinity no limit.
	ShutdownTimeout time.Duration
	// Backoff, when non-nil, replaces the supervisor's backoff for this
	// child.
	Backoff *policy.Backoff
	// Decider, when non-nil, chooses what follows an abnormal exit.
	// Without one, policy.DefaultDecider honours policy.ErrDoNotRestart and
	// policy.ErrEscalate.
	Decider policy.Decider
	// Kind declares whether the child is a worker or a supervisor.
	Kind Kind
	// Panics overrides the supervisor's panic handling for this child.
	Panics PanicMode
	// EndsSupervisor makes the child's own end its supervisor's: when it
	// returns nil, or an error that is oklog/run's signal error
	// (errors.Is(err, run.ErrSignal): its signal handler saw SIGINT or
	// SIGTERM), the supervisor shuts down cleanly and its Run returns nil,
	// whatever the child's restart type and the WithAutoShutdown mode. Any
	// other error, or a panic, follows the policy as for any child. Use it
	// for the child whose end means the program is done: a signal handler,
	// a job that runs to completion.
	EndsSupervisor bool
	// Liveness, when non-nil, is the child's liveness deadline: an
	// incarnation that goes longer than its Timeout without calling
	// actor.Beat (or whose Probe fails) is hung, and is restarted as after
	// a failure (see Liveness and HungError). Not for a supervisor child.
	Liveness *Liveness
}

func (c *Child) isSupervisor() bool {
	switch c.Kind {
	case KindSupervisor:
		return true
	case KindWorker:
		return false
	}
	_, ok := c.Actor.(*Supervisor)
	return ok
}

// validate checks the spec against the supervisor's auto-shutdown mode.
func (c *Child) validate(auto policy.AutoShutdown) error {
	if err := checkName("Child.Name", c.Name); err != nil {
		return err
	}
	switch {
	case c.Actor == nil || isNilSupervisor(c.Actor):
		return &ConfigError{Field: c.field("Actor"), Value: nil, Reason: "must not be nil"}
	}
	if v, ok := c.Actor.(actor.Validator); ok {
		if err := v.Validate(); err != nil {
			return &ConfigError{Field: c.field("Actor"), Value: c.Actor, Reason: err.Error(), Err: err}
		}
	}
	if err := c.Restart.Validate(); err != nil {
		return &ConfigError{Field: c.field("Restart"), Value: uint8(c.Restart), Reason: "must be Permanent, Transient or Temporary"}
	}
	if err := auto.CheckSignificant(c.Restart, c.Significant); err != nil {
		return &ConfigError{Field: c.field("Significant"), Value: true, Reason: err.(*ConfigError).Reason}
	}
	if c.StartTimeout < 0 {
		return &ConfigError{Field: c.field("StartTimeout"), Value: c.StartTimeout, Reason: "must be >= 0"}
	}
	if c.ShutdownTimeout < 0 {
		return policy.ValidateShutdownTimeout(c.field("ShutdownTimeout"), c.ShutdownTimeout)
	}
	if c.Backoff != nil {
		if err := c.Backoff.Validate(); err != nil {
			e := *err.(*ConfigError)
			e.Field = c.field(e.Field)
			return &e
		}
	}
	if c.Kind > KindSupervisor {
		return &ConfigError{Field: c.field("Kind"), Value: uint8(c.Kind), Reason: "must be KindAuto, KindWorker or KindSupervisor"}
	}
	if c.Panics > PanicCrash {
		return &ConfigError{Field: c.field("Panics"), Value: uint8(c.Panics), Reason: "must be PanicDefault, PanicRecover or PanicCrash"}
	}
	if c.Liveness != nil {
		return c.Liveness.validate(c)
	}
	return nil
}

func isNilSupervisor(a actor.Actor) bool {
	s, ok := a.(*Supervisor)
	return ok && s == nil
}

// field names one of the child's fields in a *ConfigError.
func (c *Child) field(name string) string { return "Child[" + c.Name + "]." + name }

// checkName checks a path segment: a child's Name, or the name given to
// New. field names it in the *ConfigError. A rejected name is quoted in
// the error (its Value is the quoted string), so that the error's text
// stays on one line.
func checkName(field, name string) error {
	switch {
	case name == "":
		return &ConfigError{Field: field, Value: `""`, Reason: "must not be empty"}
	case !utf8.ValidString(name):
		return &ConfigError{Field: field, Value: strconv.Quote(name), Reason: "must be valid UTF-8"}
	case !printable(name):
		return &ConfigError{Field: field, Value: strconv.Quote(name), Reason: "must be printable (unicode.IsPrint): no control, format or non-ASCII space characters"}
	case strings.Contains(name, PathSeparator):
		return &ConfigError{Field: field, Value: name, Reason: "must not contain " + PathSeparator}
	}
	return nil
}

// printable reports whether s is valid UTF-8 made of runes for which
// unicode.IsPrint holds.
func printable(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || !unicode.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}
