package actor_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/arbor-go/arbor/actor"
)

func TestSetStatusWithoutListenerDoesNothing(t *testing.T) {
	actor.SetStatus(context.Background(), "idle")
	var none context.Context // a nil context is tolerated, as by Ready
	actor.SetStatus(none, "idle")
}

func TestSetStatusReportsTextAndContextToTheNearestListener(t *testing.T) {
	type key struct{}
	var got []string
	outer := actor.WithStatus(context.Background(), func(context.Context, string) { t.Error("outer listener called") })
	ctx := actor.WithStatus(outer, func(ctx context.Context, text string) {
		got = append(got, fmt.Sprint(ctx.Value(key{}), ":", text))
	})
	actor.SetStatus(context.WithValue(ctx, key{}, "a"), "waiting")
	actor.SetStatus(context.WithValue(ctx, key{}, "b"), "")
	if want := []string{"a:waiting", "b:"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reports = %q, want %q", got, want)
	}
}

func TestWithStatusNilHidesTheParentsListener(t *testing.T) {
	ctx := actor.WithStatus(context.Background(), func(context.Context, string) { t.Error("hidden listener called") })
	actor.SetStatus(actor.WithStatus(ctx, nil), "waiting")
}

func ExampleSetStatus() {
	// A supervisor listens like this for its children; an actor just calls
	// SetStatus, which is a no-op when nobody listens.
	ctx := actor.WithStatus(context.Background(), func(_ context.Context, text string) {
		fmt.Printf("status: %q\n", text)
	})
	worker := actor.Func(func(ctx context.Context) error {
		actor.SetStatus(ctx, "waiting for leadership")
		actor.SetStatus(ctx, "")
		return nil
	})
	_ = worker.Run(ctx)
	// Output:
	// status: "waiting for leadership"
	// status: ""
}
