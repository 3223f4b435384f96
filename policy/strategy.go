package policy

import "fmt"

// Strategy says which children a supervisor restarts when one of them is
// restarted. The zero value is OneForOne.
type Strategy uint8

const (
	// OneForOne restarts the failed child alone.
	OneForOne Strategy = iota
	// OneForAll stops all other children newest-first, then starts every
	// non-temporary child in start order.
	OneForAll
	// RestForOne stops the children started after the failed one
	// newest-first, then starts the failed child and the non-temporary ones
	// after it in start order.
	RestForOne
)

var strategyNames = [...]string{"one_for_one", "one_for_all", "rest_for_one"}

// String returns "one_for_one", "one_for_all" or "rest_for_one".
func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// Validate reports an unknown strategy.
func (s Strategy) Validate() error {
	if s > RestForOne {
		return configErr("Strategy", uint8(s), "must be OneForOne, OneForAll or RestForOne")
	}
	return nil
}

// Member describes one child, in start order, as a strategy sees it.
type Member struct {
	Type  RestartType // the child's restart type
	Alive bool        // whether it has a live incarnation that must be stopped
}

// Plan is what a strategy does for one restart. All entries are indexes into
// the members passed to Strategy.Plan.
type Plan struct {
	Stop   []int // children to stop, in stop order (newest first)
	Remove []int // temporary bystanders to remove once stopped, not restart
	Start  []int // children to start, in start order; includes the failed one
}

// Plan returns what strategy s does when members[failed] is going to be
// restarted. The failed child is never in Stop (its incarnation has already
// ended) and always in Start. Temporary bystanders that are stopped are put in
// Remove and never in Start; a temporary bystander that had already ended is
// removed too. Plan panics if failed is out of range. s must be valid (see
// Validate); an unknown strategy is treated as OneForAll.
func (s Strategy) Plan(members []Member, failed int) Plan {
	_ = members[failed]
	if s == OneForOne {
		return Plan{Start: []int{failed}}
	}
	first := 0 // the first child the strategy touches
	if s == RestForOne {
		first = failed
	}
	var p Plan
	for i := len(members) - 1; i >= first; i-- {
		if i == failed {
			continue
		}
		if members[i].Alive {
			p.Stop = append(p.Stop, i)
		}
		if members[i].Type == Temporary {
			p.Remove = append(p.Remove, i)
		}
	}
	for i := first; i < len(members); i++ {
		if i == failed || members[i].Type != Temporary {
			p.Start = append(p.Start, i)
		}
	}
	return p
}
