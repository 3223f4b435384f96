package health

import (
	"context"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// A child's status change reaches /events as a "status" lifecycle event
// with its text, escaped like every text of the stream.
func TestEventsCarryStatusChanges(t *testing.T) {
	say := make(chan string)
	sup := newTree(t, supervisor.WithChildren(supervisor.Child{Name: "sched", Actor: actor.Func(func(ctx context.Context) error {
		for {
			select {
			case text := <-say:
				actor.SetStatus(ctx, text)
			case <-ctx.Done():
				return nil
			}
		}
	})}))
	startTree(t, sup)
	url := serveLoopback(t, Handler(sup))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sr, _ := openStream(t, ctx, url)
	say <- "waiting for leadership <b>"
	for {
		ev := sr.expectEvent(t, "lifecycle")
		if strings.ContainsAny(ev.data, "<>") {
			t.Errorf("data carries raw markup: %s", ev.data)
		}
		var e eventJSON
		decode(t, ev, &e)
		if e.Kind != "status" {
			continue
		}
		if e.Path != "root/sched" || e.Status != "waiting for leadership <b>" || e.Incarnation != 1 {
			t.Errorf("status event %+v", e)
		}
		break
	}
}
