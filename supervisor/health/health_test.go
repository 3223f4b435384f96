package health_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

func newSup(t *testing.T, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	return supervisortest.New(t, "root", opts...)
}

// serve becomes ready after d and runs until cancelled.
func serve(d time.Duration) *supervisortest.Script {
	return supervisortest.ReadyAfter("serve", nil, d)
}

// failOnce becomes ready, fails after 1s in its first incarnation, and
// runs until cancelled in the next ones.
func failOnce() *supervisortest.Script {
	return &supervisortest.Script{Name: "flaky", Steps: []supervisortest.Step{
		{RunFor: time.Second, Err: errors.New("boom")},
	}}
}

func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// expect checks a GET of target.
func expect(t *testing.T, h http.Handler, target string, code int, body string) {
	t.Helper()
	rec := do(h, http.MethodGet, target)
	if rec.Code != code || rec.Body.String() != body {
		t.Errorf("GET %s = %d %q, want %d %q", target, rec.Code, rec.Body, code, body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", target, ct)
	}
}

func TestTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := newSup(t, supervisor.WithChildren(
			supervisor.Child{Name: "http", Actor: serve(0), WaitReady: true},
			supervisor.Child{Name: "db", Actor: newSup(t, supervisor.WithChildren(
				supervisor.Child{Name: "pool", Actor: serve(0)}))},
		))
		stop := supervisortest.Start(t, sup).Stop
		synctest.Wait()
		h := health.Handler(sup)
		const text = "root [supervisor running ready]\n" +
			"  http [worker running ready restarts=0]\n" +
			"  db [supervisor running ready restarts=0]\n" +
			"    pool [worker running ready restarts=0]\n"
		for _, target := range []string{"/", "/tree", "/tree?format=text", ""} {
			if target == "" {
				// What http.StripPrefix leaves of a request for the prefix itself.
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.URL.Path = ""
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Body.String() != text {
					t.Errorf(`GET "" = %d %q`, rec.Code, rec.Body)
				}
				continue
			}
			expect(t, h, target, http.StatusOK, text)
		}
		want := sup.Snapshot()
		for _, target := range []string{"/tree.json", "/tree?format=json", "/?format=json"} {
			rec := do(h, http.MethodGet, target)
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s: %d", target, rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("GET %s: Content-Type %q", target, ct)
			}
			var got supervisor.Snapshot
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("GET %s: %v\n%s", target, err, rec.Body)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GET %s:\n got  %+v\n want %+v", target, got, want)
			}
		}
		if rec := do(h, http.MethodGet, "/tree?format=xml"); rec.Code != http.StatusBadRequest {
			t.Errorf("format=xml: %d, want 400", rec.Code)
		}
		for _, target := range []string{"/nope", "/tree/", "/healthz/x"} {
			if rec := do(h, http.MethodGet, target); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", target, rec.Code)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMethods(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := newSup(t, supervisor.WithChildren(supervisor.Child{Name: "a", Actor: serve(0)}))
		stop := supervisortest.Start(t, sup).Stop
		synctest.Wait()
		h := health.Handler(sup)
		before := sup.Snapshot()
		for _, target := range []string{"/", "/tree", "/tree.json", "/healthz", "/readyz"} {
			for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
				rec := do(h, m, target)
				if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s = %d, Allow %q; want 405, \"GET, HEAD\"", m, target, rec.Code, rec.Header().Get("Allow"))
				}
			}
			if rec := do(h, http.MethodHead, target); rec.Code != http.StatusOK {
				t.Errorf("HEAD %s = %d, want 200", target, rec.Code)
			}
		}
		synctest.Wait()
		if after := sup.Snapshot(); !reflect.DeepEqual(before, after) {
			t.Errorf("requests changed the tree:\n%v\n%v", before, after)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNotRunning(t *testing.T) {
	sup := newSup(t, supervisor.WithChildren(supervisor.Child{Name: "a", Actor: serve(0)}))
	h := health.Handler(sup)
	expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready: not running\n")
	expect(t, h, "/healthz", http.StatusOK, "ok\n")
	expect(t, h, "/tree", http.StatusOK, "root [supervisor stopped]\n")
}

// /readyz is 503 while a WaitReady child is still getting ready, 200 once
// it is; /healthz is 200 throughout.
func TestReadyzStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := newSup(t, supervisor.WithChildren(
			supervisor.Child{Name: "http", Actor: serve(5 * time.Second), WaitReady: true},
			supervisor.Child{Name: "after", Actor: serve(0), WaitReady: true},
		))
		h := health.Handler(sup)
		stop := supervisortest.Start(t, sup).Stop
		time.Sleep(time.Second)
		synctest.Wait()
		expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready: starting\nroot/http\nroot/after\n")
		expect(t, h, "/healthz", http.StatusOK, "ok\n")
		time.Sleep(4 * time.Second)
		synctest.Wait()
		expect(t, h, "/readyz", http.StatusOK, "ok\n")
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A WaitReady child in backoff makes /readyz 503; a plain worker in
// backoff does not.
func TestReadyzBackoff(t *testing.T) {
	for _, tc := range []struct {
		waitReady bool
		code      int
		body      string
	}{
		{true, http.StatusServiceUnavailable, "not ready\nroot/flaky\n"},
		{false, http.StatusOK, "ok\n"},
	} {
		name := "plain"
		if tc.waitReady {
			name = "wait-ready"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sup := newSup(t, supervisor.WithChildren(
					supervisor.Child{Name: "api", Actor: serve(0), WaitReady: true},
					supervisor.Child{Name: "flaky", Actor: failOnce(), WaitReady: tc.waitReady,
						Backoff: &policy.Backoff{Initial: 10 * time.Second}},
				))
				h := health.Handler(sup)
				stop := supervisortest.Start(t, sup).Stop
				synctest.Wait()
				expect(t, h, "/readyz", http.StatusOK, "ok\n")
				time.Sleep(2 * time.Second) // failed at 1s; restarts at 11s
				synctest.Wait()
				if n := sup.Snapshot().Children[1]; n.State != supervisor.StateBackoff {
					t.Fatalf("flaky: %v, want backoff", n)
				}
				expect(t, h, "/readyz", tc.code, tc.body)
				expect(t, h, "/healthz", http.StatusOK, "ok\n")
				time.Sleep(10 * time.Second)
				synctest.Wait()
				expect(t, h, "/readyz", http.StatusOK, "ok\n")
				if err := stop(); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// /readyz turns 503 as soon as shutdown begins, during the drain delay,
// before any child is cancelled; /healthz stays 200.
func TestReadyzShutdownDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := supervisortest.Blocker("a", nil), supervisortest.Blocker("b", nil)
		cancelled := func() (n int) { // children that saw ctx.Done
			for _, s := range []*supervisortest.Script{a, b} {
				if s.Cause(1) != nil {
					n++
				}
			}
			return n
		}
		sup := newSup(t, supervisor.WithDrainDelay(time.Second), supervisor.WithChildren(
			supervisor.Child{Name: "a", Actor: a, WaitReady: true},
			supervisor.Child{Name: "b", Actor: b},
		))
		h := health.Handler(sup)
		run := supervisortest.Start(t, sup)
		synctest.Wait()
		expect(t, h, "/readyz", http.StatusOK, "ok\n")
		run.Cancel()
		synctest.Wait() // shutdown began; the drain timer runs
		expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready: shutting down\n")
		expect(t, h, "/healthz", http.StatusOK, "ok\n")
		if n := cancelled(); n != 0 {
			t.Errorf("%d children saw ctx.Done during the drain delay", n)
		}
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if n := cancelled(); n != 0 {
			t.Errorf("%d children saw ctx.Done during the drain delay", n)
		}
		expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready: shutting down\n")
		if err := run.Wait(); err != nil {
			t.Fatal(err)
		}
		if n := cancelled(); n != 2 {
			t.Errorf("%d children stopped, want 2", n)
		}
		expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready: not running\n")
	})
}

// /healthz is 200 during a graceful shutdown and 503 naming the child once
// a child outlives its shutdown timeout, while the shutdown goes on.
func TestHealthzStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := &supervisortest.Script{Name: "slow", Default: supervisortest.Step{
			IgnoreCancelFor: 10 * time.Second, // a long but graceful stop
		}}
		stubborn := supervisortest.Stubborn("stubborn", nil) // ignores cancellation until released
		sup := newSup(t, supervisor.WithChildren(
			supervisor.Child{Name: "slow", ShutdownTimeout: 30 * time.Second, Actor: slow},
			supervisor.Child{Name: "stubborn", ShutdownTimeout: time.Second, Actor: stubborn},
		))
		h := health.Handler(sup)
		run := supervisortest.Start(t, sup)
		synctest.Wait()
		expect(t, h, "/healthz", http.StatusOK, "ok\n")
		run.Cancel() // stubborn (newest) is stopped first
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		expect(t, h, "/healthz", http.StatusOK, "ok\n")
		time.Sleep(time.Second) // stubborn is stuck; slow is stopping
		synctest.Wait()
		expect(t, h, "/healthz", http.StatusServiceUnavailable, "stuck\nroot/stubborn\n")
		expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready: shutting down\n")
		snap := sup.Snapshot()
		if got := []supervisor.State{snap.Children[0].State, snap.Children[1].State}; got[0] != supervisor.StateStopping || got[1] != supervisor.StateStuck {
			t.Errorf("states slow, stubborn = %v, want stopping, stuck", got)
		}
		if slow.Stops() != 0 {
			t.Fatal("slow stopped already")
		}
		var se *supervisor.StuckError
		if err := run.Wait(); !errors.As(err, &se) || len(se.Stuck) != 1 || se.Stuck[0].Path != "root/stubborn" {
			t.Fatalf("Run = %v, want a *StuckError for root/stubborn", err)
		}
		expect(t, h, "/healthz", http.StatusServiceUnavailable, "stuck\nroot/stubborn\n")
		stubborn.Release()
		synctest.Wait()
		expect(t, h, "/healthz", http.StatusOK, "ok\n")
	})
}

// A WaitReady child in backoff inside a child supervisor is named by its
// full path.
func TestReadyzNested(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := newSup(t, supervisor.WithChildren(
			supervisor.Child{Name: "conn", Actor: failOnce(), WaitReady: true, Backoff: &policy.Backoff{Initial: 10 * time.Second}},
		))
		sup := newSup(t, supervisor.WithChildren(supervisor.Child{Name: "db", Actor: db}))
		h := health.Handler(sup)
		stop := supervisortest.Start(t, sup).Stop
		time.Sleep(2 * time.Second)
		synctest.Wait()
		expect(t, h, "/readyz", http.StatusServiceUnavailable, "not ready\nroot/db/conn\n")
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHandlerNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handler(nil) did not panic")
		}
	}()
	health.Handler(nil)
}
