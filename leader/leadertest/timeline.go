package leadertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
)

// Timeline is a shared, timestamped log of the starts and returns of the
// actors of several replicas, to check that never two ran at once. Its
// methods are safe for concurrent use.
type Timeline struct {
	mu      sync.Mutex
	entries []Entry // guarded by mu
}

// Entry is one start or return on a Timeline.
type Entry struct {
	At     time.Time
	Who    string       // the replica
	Start  bool         // a start; false: a return
	Token  leader.Token // the term's token, from the actor's context
	Detail string       // for a return: why (the context's cause), if any
}

// String formats e as "12:00:01.500 b return token=2 (...)".
func (e Entry) String() string {
	what := "return"
	if e.Start {
		what = "start"
	}
	s := fmt.Sprintf("%s %s %s token=%d", e.At.Format("15:04:05.000"), e.Who, what, e.Token)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Add records an entry at the current time.
func (tl *Timeline) Add(who string, start bool, token leader.Token, detail string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.entries = append(tl.entries, Entry{At: time.Now(), Who: who, Start: start, Token: token, Detail: detail})
}

// Entries returns a copy of the entries, in order.
func (tl *Timeline) Entries() []Entry {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]Entry(nil), tl.entries...)
}

// Starts counts the starts recorded for who ("" for everyone).
func (tl *Timeline) Starts(who string) int {
	n := 0
	for _, e := range tl.Entries() {
		if e.Start && (who == "" || e.Who == who) {
			n++
		}
	}
	return n
}

// Check returns an error if two actors ever ran at once (a start while
// another actor had started and not returned), or if a start's token is
// not above the tokens of the starts before it under another term.
func (tl *Timeline) Check() error {
	var running []string
	var last leader.Token
	for _, e := range tl.Entries() {
		if !e.Start {
			for i, w := range running {
				if w == e.Who {
					running = append(running[:i], running[i+1:]...)
					break
				}
			}
			continue
		}
		if len(running) > 0 {
			return fmt.Errorf("%v while %s ran:\n%s", e, strings.Join(running, ", "), tl)
		}
		if e.Token < last {
			return fmt.Errorf("%v: token below the last one, %d:\n%s", e, last, tl)
		}
		last = e.Token
		running = append(running, e.Who)
	}
	return nil
}

// String prints the entries, one a line.
func (tl *Timeline) String() string {
	var b strings.Builder
	for _, e := range tl.Entries() {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Actor returns an actor for replica who that records its start (with its
// token) and its return on tl, runs until its context is done, and then
// takes stopTakes to return, as one that cleans up.
func (tl *Timeline) Actor(who string, stopTakes time.Duration) actor.Func {
	return func(ctx context.Context) error {
		tok, _ := leader.TokenFrom(ctx)
		tl.Add(who, true, tok, "")
		<-ctx.Done()
		if stopTakes > 0 {
			t := time.NewTimer(stopTakes)
			<-t.C
		}
		tl.Add(who, false, tok, fmt.Sprint(context.Cause(ctx)))
		return nil
	}
}
