package supervisor

import "strconv"

// State is where a child stands in its lifecycle, as Children and Snapshot
// report it. The transitions between states, and what causes each, are the
// table in the package documentation (section "A child's lifecycle").
type State uint8

const (
	StateStarting   State = iota // launched, waiting to become ready
	StateRunning                 // running (and ready, if it waits for readiness)
	StateBackoff                 // waiting out a backoff delay before its next incarnation
	StateRestarting              // stopped or being stopped, to be restarted by the supervisor
	StateStopping                // asked to stop, not yet returned
	StateStopped                 // not running and not scheduled to run
	StateStuck                   // did not stop within its shutdown timeout; goroutine abandoned
	StateHung                    // missed its liveness deadline; cancelled, not yet returned (see Liveness)
)

var stateNames = [...]string{"starting", "running", "backoff", "restarting", "stopping", "stopped", "stuck", "hung"}

// String returns the state's name, such as "backoff".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes the state as its name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// The child state machine.
//
// A child record is in exactly one lifecycle state (lstate) at a time, and
// moves only through the transitions of the table below, applied by
// (*child).move with the supervisor's lock held. Every other field of the
// record describes the current incarnation (its number, context, readiness
// deadline) or a counter; none repeats what the state says. Whether a
// goroutine of the child is running is a property of the state (alive).
//
//	state      goroutine  public state          what it means
//	idle       no         stopped               never started in this run, or stopped by request
//	starting   yes        starting              incarnation running, not yet ready (WaitReady)
//	running    yes        running               incarnation running (and ready)
//	backoff    yes        backoff               goroutine waits out a delay before the next incarnation
//	hung       yes        hung                  missed its liveness deadline: the failure is recorded, the
//	                                            incarnation cancelled (cause ErrHung); its return is its exit
//	exiting    yes        stopping              incarnation returned by itself; its goroutine decides what follows
//	                                            (the decider and the jitter source run here, without the lock)
//	stopping   yes        stopping / restarting asked to stop; afterStop says what follows its return
//	stuck      yes        stuck                 did not stop in time; abandoned, slot kept until it returns
//	pending    no         restarting / backoff  waits for the loop to restart it, alone or with its group
//	stopped    no         stopped               ended for good (not restarted)
//	removed    no         -                     dropped from the children (terminal)
//
// Events and transitions (anything not listed is refused: move reports
// false and changes nothing):
//
//	event       from                              to                  action of the caller
//	launch      idle, pending, stopped            starting, running   new incarnation, goroutine started
//	delay       idle, pending, stopped            backoff             new incarnation after a delay, goroutine started
//	wake        backoff                           starting, running   the delay is over: the incarnation runs
//	ready       starting                          running             the incarnation called actor.Ready
//	hang        running                           hung                the liveness checker found it past its deadline
//	                                                                  (records the failure and its event, then cancels)
//	exit        starting, running, hung           exiting             the incarnation returned by itself (from hung:
//	                                                                  a failure, the hang's, whatever it returned)
//	again       exiting                           starting, running,  OneForOne restart in the same goroutine
//	                                              backoff
//	queue       exiting                           pending             restart through the loop (group, Goexit)
//	end         exiting                           stopped             not restarted (restart type, decider, escalation)
//	stop        starting, running, backoff,       stopping            the supervisor asks it to stop (records why
//	            exiting, hung                                         first, then cancels the incarnation); a hung
//	                                                                  child's stop counts from the hang
//	returned    stopping                          idle, pending,      the stopped goroutine returned: afterStop
//	                                              stopped, removed    decides (manual stop, group restart, shutdown,
//	                                                                  remove)
//	timeout     stopping, hung                    stuck               the stop timed out (hung: its shutdown timeout
//	                                                                  from the hang; the supervisor then escalates)
//	unstuck     stuck                             idle, pending,      the stuck goroutine returned at last:
//	                                              stopped, removed    afterStop decides, as for returned
//	rejoin      idle, stopped                     pending             a group restart takes a member that had ended
//	give up     pending                           stopped             its restart is refused: the supervisor escalates
//	drop        idle, pending, stopped            removed             Remove, a temporary child's end, a failed Add
//	inherit     idle                              stuck               a new run finds the child's goroutine of an
//	                                                                  earlier run still stuck: the slot waits for it
//	                                                                  (then unstuck starts it, or drops a child
//	                                                                  that is not in the spec)
type lstate uint8

const (
	lsIdle lstate = iota
	lsStarting
	lsRunning
	lsBackoff
	lsExiting
	lsStopping
	lsStuck
	lsHung
	lsPending
	lsStopped
	lsRemoved
	numLstates
)

var lstateNames = [numLstates]string{"idle", "starting", "running", "backoff", "exiting", "stopping", "stuck", "hung", "pending", "stopped", "removed"}

func (s lstate) String() string {
	if s < numLstates {
		return lstateNames[s]
	}
	return "lstate(" + strconv.Itoa(int(s)) + ")"
}

// alive reports whether a goroutine of the child is running in state s.
func (s lstate) alive() bool {
	switch s {
	case lsStarting, lsRunning, lsBackoff, lsExiting, lsStopping, lsStuck, lsHung:
		return true
	}
	return false
}

// event is what moves a child from one state to another.
type event uint8

const (
	evLaunch event = iota
	evDelay
	evWake
	evReady
	evExit
	evAgain
	evQueue
	evEnd
	evStop
	evReturned
	evTimeout
	evUnstuck
	evRejoin
	evGiveUp
	evDrop
	evInherit
	evHang
	numEvents
)

var eventNamesInternal = [numEvents]string{"launch", "delay", "wake", "ready", "exit", "again", "queue", "end", "stop", "returned", "timeout", "unstuck", "rejoin", "give up", "drop", "inherit", "hang"}

func (e event) String() string {
	if e < numEvents {
		return eventNamesInternal[e]
	}
	return "event(" + strconv.Itoa(int(e)) + ")"
}

// states is a set of lstates.
type states uint16

func set(ss ...lstate) states {
	var m states
	for _, s := range ss {
		m |= 1 << s
	}
	return m
}

func (m states) has(s lstate) bool { return m&(1<<s) != 0 }

// transition is one row of the table: the states an event may come in, and
// the states it may lead to (the caller names the one it takes; move checks
// it against the row).
type transition struct {
	from, to states
}

// table is the child state machine; see the comment on lstate.
var table = [numEvents]transition{
	evLaunch:   {from: set(lsIdle, lsPending, lsStopped), to: set(lsStarting, lsRunning)},
	evDelay:    {from: set(lsIdle, lsPending, lsStopped), to: set(lsBackoff)},
	evWake:     {from: set(lsBackoff), to: set(lsStarting, lsRunning)},
	evReady:    {from: set(lsStarting), to: set(lsRunning)},
	evExit:     {from: set(lsStarting, lsRunning, lsHung), to: set(lsExiting)},
	evAgain:    {from: set(lsExiting), to: set(lsStarting, lsRunning, lsBackoff)},
	evQueue:    {from: set(lsExiting), to: set(lsPending)},
	evEnd:      {from: set(lsExiting), to: set(lsStopped)},
	evStop:     {from: set(lsStarting, lsRunning, lsBackoff, lsExiting, lsHung), to: set(lsStopping)},
	evReturned: {from: set(lsStopping), to: set(lsIdle, lsPending, lsStopped, lsRemoved)},
	evTimeout:  {from: set(lsStopping, lsHung), to: set(lsStuck)},
	evUnstuck:  {from: set(lsStuck), to: set(lsIdle, lsPending, lsStopped, lsRemoved)},
	evRejoin:   {from: set(lsIdle, lsStopped), to: set(lsPending)},
	evGiveUp:   {from: set(lsPending), to: set(lsStopped)},
	evDrop:     {from: set(lsIdle, lsPending, lsStopped), to: set(lsRemoved)},
	evInherit:  {from: set(lsIdle), to: set(lsStuck)},
	evHang:     {from: set(lsRunning), to: set(lsHung)},
}

// allowed reports whether the table lets ev move a child from s to next.
func allowed(s lstate, ev event, next lstate) bool {
	if ev >= numEvents {
		return false
	}
	t := table[ev]
	return t.from.has(s) && t.to.has(next)
}

// afterStop says what a child being stopped becomes once its goroutine
// returns (from stopping or stuck).
type afterStop uint8

const (
	thenIdle    afterStop = iota // stopped by request (Restart starts it again; see restartOnReturn)
	thenPending                  // part of a group restart: the loop starts it again
	thenStopped                  // shutdown or escalation: stays stopped
	thenRemoved                  // Remove, or a temporary bystander of a group restart
	thenRestart                  // a manual Restart: started again once it returns
)

// target returns the state a stopped child moves to.
func (a afterStop) target() lstate {
	switch a {
	case thenPending:
		return lsPending
	case thenStopped:
		return lsStopped
	case thenRemoved:
		return lsRemoved
	}
	return lsIdle
}
