package kubeleader_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/leader"
	kubeleader "github.com/arbor-go/arbor/leader/kube"
	"github.com/arbor-go/arbor/leader/leadertest"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// The constants of the tests: Timing's renew deadline is RenewDeadline +
// RetryPeriod = 3.5s, and 1.5s < 6s - 3.5s - 0.6s.
const (
	leaseDuration = 6 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = 500 * time.Millisecond
	stopBound     = 1500 * time.Millisecond
)

type replica struct {
	name string
	sup  *supervisor.Supervisor
	run  *supervisortest.Running
}

// newReplica starts replica name of the election kept in store; its actor
// records on tl and takes stopTakes to return once cancelled.
func newReplica(t *testing.T, store *leaseStore, name string, tl *leadertest.Timeline, stopTakes time.Duration) *replica {
	return newReplicaRetrying(t, store, name, tl, stopTakes, retryPeriod)
}

// newReplicaRetrying is newReplica with client-go's retry period rp.
func newReplicaRetrying(t *testing.T, store *leaseStore, name string, tl *leadertest.Timeline, stopTakes, rp time.Duration) *replica {
	t.Helper()
	el, err := kubeleader.New(kubeleader.Config{Client: store.clientset(name).CoordinationV1(), Namespace: "default", Name: "sched",
		Identity: name, LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: rp})
	if err != nil {
		t.Fatal(err)
	}
	single, err := leader.New(leader.Config{Election: "sched", Elector: el, Actor: tl.Actor(name, stopTakes), StopBound: stopBound})
	if err != nil {
		t.Fatal(err)
	}
	sup, err := supervisor.New(name, supervisor.WithChildren(single.Child("sched")))
	if err != nil {
		t.Fatal(err)
	}
	return &replica{name: name, sup: sup, run: supervisortest.Start(t, sup)}
}

func (r *replica) status() string { return r.sup.Snapshot().Children[0].Status }

// running returns the replicas whose actor runs now, by the timeline.
func running(tl *leadertest.Timeline) []string {
	var on []string
	for _, e := range tl.Entries() {
		if e.Start {
			on = append(on, e.Who)
			continue
		}
		for i, w := range on {
			if w == e.Who {
				on = append(on[:i], on[i+1:]...)
				break
			}
		}
	}
	return on
}

// Three candidates on one Lease through the fake API server, with latency
// and injected conflicts; the leader is cut off three times. Each time the
// others wait (ready, "waiting for leadership"), the cut-off leader's actor
// returns before the next one starts, never two run at once, and every
// new leader's token (the Lease's transitions) is above the last.
func TestOneLeaderAtATimeUnderConflictsLatencyAndPartitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newLeaseStore()
		store.latency, store.conflictEvery = 80*time.Millisecond, 7
		tl := new(leadertest.Timeline)
		rs := map[string]*replica{}
		for _, name := range []string{"a", "b", "c"} {
			rs[name] = newReplica(t, store, name, tl, time.Second)
		}
		for round := range 3 {
			time.Sleep(2 * leaseDuration)
			synctest.Wait()
			on := running(tl)
			if len(on) != 1 {
				t.Fatalf("round %d: running %v, want one:\n%v", round, on, tl)
			}
			lead := on[0]
			if holder, _ := store.holder(); holder != lead {
				t.Fatalf("round %d: Lease held by %q, actor runs on %q", round, holder, lead)
			}
			for name, r := range rs {
				if name == lead {
					continue
				}
				if got := r.status(); got != leader.StatusWaiting || !r.sup.Health().Ready {
					t.Errorf("round %d: %s: status %q ready=%v, want a ready standby", round, name, got, r.sup.Health().Ready)
				}
			}
			store.setCut(lead, true)
			cut := time.Now()
			time.Sleep(2 * leaseDuration)
			synctest.Wait()
			store.setCut(lead, false)
			if err := tl.Check(); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			var ret, start time.Time
			for _, e := range tl.Entries() {
				if e.At.Before(cut) {
					continue
				}
				if e.Who == lead && !e.Start && ret.IsZero() {
					ret = e.At
				}
				if e.Start && start.IsZero() {
					start = e.At
				}
			}
			if ret.IsZero() || start.IsZero() || !ret.Before(start) {
				t.Fatalf("round %d: no hand-over from %s:\n%v", round, lead, tl)
			}
			t.Logf("round %d: %s cut off; its actor returned %v later, the next actor started %v later",
				round, lead, ret.Sub(cut), start.Sub(cut))
		}
		for _, r := range rs {
			if err := r.run.Stop(); err != nil {
				t.Error(err)
			}
		}
		if err := tl.Check(); err != nil {
			t.Error(err)
		}
	})
}

// The harness can fail: without the compare-and-swap on the
// resourceVersion, two candidates that read the same expired Lease both
// take it, and the timeline shows two actors at once. With it, one does.
// Each update takes 500ms, longer than client-go's jittered retry period
// (200ms to 440ms here), so that the second candidate always reads the
// Lease before the first one's update lands.
func TestCompareAndSwapIsWhatKeepsOneLeader(t *testing.T) {
	for _, cas := range []bool{true, false} {
		t.Run(fmt.Sprint("cas=", cas), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := newLeaseStore()
				store.updateLatency, store.noCAS = 500*time.Millisecond, !cas
				store.seed("gone", leaseDuration)
				tl := new(leadertest.Timeline)
				for _, name := range []string{"a", "b"} {
					newReplicaRetrying(t, store, name, tl, 0, 200*time.Millisecond)
				}
				time.Sleep(4 * leaseDuration)
				synctest.Wait()
				err := tl.Check()
				if cas && err != nil {
					t.Errorf("with compare-and-swap: %v", err)
				}
				if !cas && err == nil {
					t.Errorf("without compare-and-swap, no overlap seen:\n%v", tl)
				}
			})
		})
	}
}

// A clean stop releases the Lease only after the actor returned; the other
// candidate then takes it at once, not a lease duration later.
func TestCleanStopReleasesTheLeaseAfterTheActorReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newLeaseStore()
		tl := new(leadertest.Timeline)
		a := newReplica(t, store, "a", tl, time.Second)
		synctest.Wait()
		time.Sleep(5 * time.Second)
		newReplica(t, store, "b", tl, 0)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if holder, _ := store.holder(); holder != "a" || tl.Starts("a") != 1 {
			t.Fatalf("holder %q:\n%v", holder, tl)
		}
		stopped := time.Now()
		done := make(chan error)
		go func() { done <- a.run.Stop() }()
		time.Sleep(time.Second - time.Millisecond)
		synctest.Wait()
		if holder, _ := store.holder(); holder != "a" {
			t.Fatalf("Lease held by %q while a's actor still runs", holder)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		time.Sleep(2*retryPeriod + stopBound + 600*time.Millisecond)
		synctest.Wait()
		if err := tl.Check(); err != nil {
			t.Fatal(err)
		}
		es := tl.Entries()
		if last := es[len(es)-1]; last.Who != "b" || !last.Start || last.At.Sub(stopped) >= leaseDuration {
			t.Fatalf("b did not take over at once after a's stop:\n%v", tl)
		}
		if _, tr := store.holder(); tr != 1 {
			t.Errorf("transitions %d, want 1", tr)
		}
	})
}

// New names the bad field; a lease duration that leaves no room for the
// renewal matches leader.ErrBounds.
func TestNewRejectsBadConfigNamingTheField(t *testing.T) {
	store := newLeaseStore()
	ok := kubeleader.Config{Client: store.clientset("a").CoordinationV1(), Namespace: "default", Name: "sched", Identity: "a",
		LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod}
	for _, tc := range []struct {
		name   string
		edit   func(*kubeleader.Config)
		field  string
		bounds bool
	}{
		{"nil client", func(c *kubeleader.Config) { c.Client = nil }, "Config.Client", false},
		{"no name", func(c *kubeleader.Config) { c.Name = "" }, "Config.Name", false},
		{"no identity", func(c *kubeleader.Config) { c.Identity = "" }, "Config.Identity", false},
		{"no retry period", func(c *kubeleader.Config) { c.RetryPeriod = 0 }, "Config.RetryPeriod", false},
		{"renew deadline under 1.2 retry periods", func(c *kubeleader.Config) { c.RenewDeadline = 600 * time.Millisecond }, "Config.RenewDeadline", false},
		{"lease not above renewal", func(c *kubeleader.Config) { c.LeaseDuration = 3 * time.Second }, "Config.LeaseDuration", true},
		{"lease not whole seconds", func(c *kubeleader.Config) { c.LeaseDuration = 6500 * time.Millisecond }, "Config.LeaseDuration", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := kubeleader.New(cfg)
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || errors.Is(err, leader.ErrBounds) != tc.bounds {
				t.Fatalf("New = %v, want a *ConfigError for %s (bounds %v)", err, tc.field, tc.bounds)
			}
		})
	}
	el, err := kubeleader.New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if got := el.Timing(); got != (leader.Timing{TTL: leaseDuration, RenewDeadline: renewDeadline + retryPeriod}) {
		t.Errorf("Timing = %+v", got)
	}
	work := actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	if _, err := leader.New(leader.Config{Elector: el, Actor: work, StopBound: 2 * time.Second}); !errors.Is(err, leader.ErrBounds) {
		t.Errorf("stop bound 2s with lease 6s, renewal 3.5s: %v, want ErrBounds", err)
	}
}
