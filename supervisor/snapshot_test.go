package supervisor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// Set SNAPSHOT_GOLDEN_UPDATE=1 to rewrite testdata/snapshot.golden.
const snGolden = "testdata/snapshot.golden"

func snNew(t *testing.T, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	s, err := supervisor.New(name, opts...)
	if err != nil {
		t.Fatalf("New(%q): %v", name, err)
	}
	return s
}

// snServe becomes ready after d and then runs until cancelled.
func snServe(d time.Duration) actor.Func {
	return func(ctx context.Context) error {
		if d > 0 {
			time.Sleep(d)
		}
		actor.Ready(ctx)
		<-ctx.Done()
		return nil
	}
}

// snFailEvery becomes ready, runs for d and fails with err, every time.
func snFailEvery(d time.Duration, err error) actor.Func {
	return func(ctx context.Context) error {
		actor.Ready(ctx)
		select {
		case <-time.After(d):
			return err
		case <-ctx.Done():
			return nil
		}
	}
}

// snGoldenTree builds the tree of the golden tests:
//
//	root
//	  http   WaitReady, ready after 1s
//	  db     supervisor
//	    pool-1   runs
//	    pool-3   fails every 1s, backoff 1s, 2s, 4s...
//	  cron   Transient, ends at once
func snGoldenTree(t *testing.T) *supervisor.Supervisor {
	db := snNew(t, "db",
		supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
		supervisor.WithChildren(
			supervisor.Child{Name: "pool-1", Actor: snServe(0)},
			supervisor.Child{Name: "pool-3", Actor: snFailEvery(time.Second, errors.New("dial tcp: connection refused")),
				Backoff: &policy.Backoff{Initial: time.Second, Max: time.Minute}},
		))
	return snNew(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "http", Actor: snServe(time.Second), WaitReady: true},
		supervisor.Child{Name: "db", Actor: db},
		supervisor.Child{Name: "cron", Restart: policy.Transient, Actor: actor.Func(func(context.Context) error { return nil })},
	))
}

// The JSON of a snapshot is its flat form (supervisor.FlatTree), one node a
// line; it decodes back into the same nested Snapshot and into a FlatTree.
func TestSnapshotJSONGolden(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if got, want := time.Now().UTC(), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Fatalf("synctest clock starts at %v, want %v", got, want)
		}
		sup := snGoldenTree(t)
		stop := supervisortest.Start(t, sup).Stop
		// pool-3 fails at 2s, 4s, 7s; at 7.5s it waits out a 4s backoff.
		time.Sleep(7500 * time.Millisecond)
		synctest.Wait()
		snap := sup.Snapshot()
		got, err := snap.Flatten(supervisor.TreeLimits{}).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		if os.Getenv("SNAPSHOT_GOLDEN_UPDATE") == "1" {
			if err := os.WriteFile(filepath.FromSlash(snGolden), got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(filepath.FromSlash(snGolden))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("snapshot JSON differs from %s (SNAPSHOT_GOLDEN_UPDATE=1 rewrites it)\ngot:\n%s\nwant:\n%s", snGolden, got, want)
		}
		// json.Marshal of the Snapshot is the same JSON, compacted.
		var compact bytes.Buffer
		if err := json.Compact(&compact, got); err != nil {
			t.Fatal(err)
		}
		if m, err := json.Marshal(snap); err != nil || !bytes.Equal(m, compact.Bytes()) {
			t.Errorf("json.Marshal(snapshot) = %s, %v\nwant %s", m, err, compact.Bytes())
		}

		var back supervisor.Snapshot
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("decoding the JSON back: %v", err)
		}
		if !reflect.DeepEqual(back, snap) {
			t.Errorf("JSON round trip:\n got  %+v\n want %+v", back, snap)
		}
		var flat supervisor.FlatTree
		if err := json.Unmarshal(got, &flat); err != nil {
			t.Fatalf("decoding into a FlatTree: %v", err)
		}
		if back, err := flat.Snapshot(); err != nil || !reflect.DeepEqual(back, snap) {
			t.Errorf("FlatTree.Snapshot() = %+v, %v\nwant %+v", back, err, snap)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

func TestSnapshotString(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := snGoldenTree(t)
		stop := supervisortest.Start(t, sup).Stop
		time.Sleep(7500 * time.Millisecond)
		synctest.Wait()
		want := `root [supervisor running ready]
  http [worker running ready restarts=0]
  db [supervisor running ready restarts=0]
    pool-1 [worker running ready restarts=0]
    pool-3 [worker backoff restarts=3 last_error="dial tcp: connection refused"]
  cron [worker stopped restarts=0]`
		if got := sup.Snapshot().String(); got != want {
			t.Errorf("String():\n%s\nwant:\n%s", got, want)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

func TestSnapshotNotRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := snGoldenTree(t)
		want := supervisor.Snapshot{Path: "root", Name: "root", Kind: supervisor.KindSupervisor, State: supervisor.StateStopped}
		if got := sup.Snapshot(); !reflect.DeepEqual(got, want) {
			t.Errorf("before Run: %+v, want %+v", got, want)
		}
		if got, want := sup.Snapshot().String(), "root [supervisor stopped]"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		stop := supervisortest.Start(t, sup).Stop
		synctest.Wait()
		if got := sup.Snapshot(); len(got.Children) != 3 {
			t.Errorf("while running: %d children, want 3", len(got.Children))
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := sup.Snapshot(); !reflect.DeepEqual(got, want) {
			t.Errorf("after Run: %+v, want %+v", got, want)
		}
	})
}

// A supervisor run as a child, directly or wrapped in another actor, shows
// its own children; Snapshot called on it shows it as its parent sees it.
func TestSnapshotNested(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leaf := snNew(t, "leaf-sup", supervisor.WithChildren(
			supervisor.Child{Name: "leaf", Actor: snServe(0)}))
		inner := snNew(t, "inner-sup", supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: snServe(0), WaitReady: true},
			supervisor.Child{Name: "leaves", Actor: leaf},
		))
		root := snNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "wrapped", Kind: supervisor.KindSupervisor,
				Actor: actor.Func(func(ctx context.Context) error { return inner.Run(ctx) })},
		))
		stop := supervisortest.Start(t, root).Stop
		synctest.Wait()
		want := `root [supervisor running ready]
  wrapped [supervisor running ready restarts=0]
    a [worker running ready restarts=0]
    leaves [supervisor running ready restarts=0]
      leaf [worker running ready restarts=0]`
		snap := root.Snapshot()
		if got := snap.String(); got != want {
			t.Errorf("String():\n%s\nwant:\n%s", got, want)
		}
		var paths []string
		var walk func(n supervisor.Snapshot)
		walk = func(n supervisor.Snapshot) {
			paths = append(paths, n.Path)
			for _, c := range n.Children {
				walk(c)
			}
		}
		walk(snap)
		wantPaths := []string{"root", "root/wrapped", "root/wrapped/a", "root/wrapped/leaves", "root/wrapped/leaves/leaf"}
		if !slices.Equal(paths, wantPaths) {
			t.Errorf("paths %q, want %q", paths, wantPaths)
		}
		if got := inner.Snapshot(); !reflect.DeepEqual(got, snap.Children[0]) {
			t.Errorf("inner.Snapshot():\n %+v\nwant the parent's view:\n %+v", got, snap.Children[0])
		}
		if n := snap.Children[0]; !n.WaitReady || n.Incarnation != 1 || n.Kind != supervisor.KindSupervisor {
			t.Errorf("wrapped node: %+v", n)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// A WaitReady child in backoff two levels down makes the tree unready and
// is named; a plain worker in backoff does not.
func TestReadinessNested(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		once := func() actor.Func {
			n := 0
			return func(ctx context.Context) error {
				n++
				actor.Ready(ctx)
				if n == 1 {
					time.Sleep(time.Second)
					return errors.New("boom")
				}
				<-ctx.Done()
				return nil
			}
		}
		backoff := &policy.Backoff{Initial: 10 * time.Second}
		db := snNew(t, "db", supervisor.WithChildren(
			supervisor.Child{Name: "plain", Actor: once(), Backoff: backoff},
		))
		api := snNew(t, "api", supervisor.WithChildren(
			supervisor.Child{Name: "conn", Actor: once(), WaitReady: true, Backoff: backoff},
		))
		root := snNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "db", Actor: db},
			supervisor.Child{Name: "api", Actor: api, StartTimeout: time.Hour},
		))
		stop := supervisortest.Start(t, root).Stop
		synctest.Wait()
		if ready, notReady := root.Readiness(); !ready || len(notReady) != 0 {
			t.Errorf("after start: Readiness() = %v, %q; want true", ready, notReady)
		}
		time.Sleep(1500 * time.Millisecond) // both failed once, in a 10s backoff
		synctest.Wait()
		if ready, notReady := root.Readiness(); ready || !slices.Equal(notReady, []string{"root/api/conn"}) {
			t.Errorf("in backoff: Readiness() = %v, %q; want false, [root/api/conn]", ready, notReady)
		}
		if h := root.Health(); h.Reason != "" || !h.Alive {
			t.Errorf("Health() = %+v; want no reason, alive", h)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if ready, notReady := root.Readiness(); !ready {
			t.Errorf("after backoff: Readiness() = %v, %q; want true", ready, notReady)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if ready, _ := root.Readiness(); ready {
			t.Error("not running: ready")
		}
		if h := root.Health(); h.Reason != supervisor.ReasonNotRunning || !h.Alive {
			t.Errorf("not running: Health() = %+v", h)
		}
	})
}

// A stuck child's abandoned goroutine still fails liveness after Run
// returned, until it really returns.
func TestLivenessAfterRunWithStuckChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		sup := snNew(t, "root", supervisor.WithChildren(
			supervisor.Child{Name: "stubborn", ShutdownTimeout: time.Second, Actor: actor.Func(func(ctx context.Context) error {
				<-release
				return nil
			})},
		))
		stop := supervisortest.Start(t, sup).Stop
		synctest.Wait()
		if alive, stuck := sup.Liveness(); !alive || stuck != nil {
			t.Errorf("running: Liveness() = %v, %q", alive, stuck)
		}
		var se *supervisor.StuckError
		if err := stop(); !errors.As(err, &se) {
			t.Fatalf("Run = %v, want a *StuckError", err)
		}
		if alive, stuck := sup.Liveness(); alive || !slices.Equal(stuck, []string{"root/stubborn"}) {
			t.Errorf("after Run: Liveness() = %v, %q; want false, [root/stubborn]", alive, stuck)
		}
		close(release)
		synctest.Wait()
		if alive, stuck := sup.Liveness(); !alive {
			t.Errorf("after release: Liveness() = %v, %q; want true", alive, stuck)
		}
	})
}

// Snapshots taken concurrently with a tree that starts, crash-loops and
// stops (child supervisors take their parent's lock in Run) neither race
// nor deadlock.
func TestSnapshotConcurrentWithTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := snNew(t, "inner",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(
				supervisor.Child{Name: "crash", Actor: snFailEvery(time.Millisecond, errors.New("crash"))},
			))
		root := snNew(t, "root",
			supervisor.WithIntensity(policy.Intensity{MaxRestarts: policy.Unlimited}),
			supervisor.WithChildren(
				supervisor.Child{Name: "inner", Actor: inner},
				supervisor.Child{Name: "flaky", Actor: snFailEvery(3*time.Millisecond, errors.New("flaky"))},
			))
		var wg sync.WaitGroup
		quit := make(chan struct{})
		for range 3 {
			wg.Go(func() {
				for {
					select {
					case <-quit:
						return
					default:
					}
					_ = root.Snapshot().String()
					root.Health()
					inner.Snapshot()
					time.Sleep(time.Millisecond / 2)
				}
			})
		}
		for range 3 {
			stop := supervisortest.Start(t, root).Stop
			time.Sleep(20 * time.Millisecond)
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		}
		close(quit)
		wg.Wait()
	})
}
