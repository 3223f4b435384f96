package health

import (
	"context"
	"errors"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// The events of a group restart carry its origin on /events: the failed
// child's restarting and started events and its sibling's stopped and
// started events name the failed child.
func TestEventsStreamNamesGroupRestartOrigin(t *testing.T) {
	fail := make(chan error)
	sup := newTree(t, supervisor.WithStrategy(policy.OneForAll), supervisor.WithChildren(
		supervisor.Child{Name: "api", Actor: actor.Func(idle)},
		supervisor.Child{Name: "flaky", Actor: failOn(fail)},
	))
	startTree(t, sup)
	url := serveLoopback(t, Handler(sup))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sr, _ := openStream(t, ctx, url)
	fail <- errors.New("boom")
	var got []string
	for len(got) < 5 {
		var e eventJSON
		decode(t, sr.expectEvent(t, "lifecycle"), &e)
		got = append(got, e.Kind+" "+e.Path+" "+e.Origin)
	}
	want := []string{
		"failed root/flaky ",
		"restarting root/flaky root/flaky",
		"stopped root/api root/flaky",
		"started root/api root/flaky",
		"started root/flaky root/flaky",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events:\n got  %q\n want %q", got, want)
		}
	}
}
