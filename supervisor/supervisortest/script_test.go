package supervisortest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
)

var errBoom = errors.New("boom")

// runResult is how one Run of a Script ended, with times measured from its
// start.
type runResult struct {
	err     error
	panic   any
	goexit  bool
	readyAt time.Duration // -1 if Ready was not called
	endAt   time.Duration
}

// start runs s once in a goroutine, with a context that records when Ready
// is called, and returns the context's cancel function and a channel that
// gets how Run ended.
func start(s *Script) (context.CancelCauseFunc, <-chan runResult) {
	return startCtx(s, context.Background())
}

// startCtx is start with a parent context.
func startCtx(s *Script, parent context.Context) (context.CancelCauseFunc, <-chan runResult) {
	begin := time.Now()
	var mu sync.Mutex
	readyAt := time.Duration(-1)
	ctx, cancel := context.WithCancelCause(parent)
	ctx = actor.WithReady(ctx, func() {
		mu.Lock()
		if readyAt < 0 {
			readyAt = time.Since(begin)
		}
		mu.Unlock()
	})
	out := make(chan runResult, 1)
	go func() {
		var res runResult
		res.goexit = true
		defer func() {
			res.panic = recover()
			if res.panic != nil {
				res.goexit = false
			}
			mu.Lock()
			res.readyAt = readyAt
			mu.Unlock()
			res.endAt = time.Since(begin)
			out <- res
		}()
		res.err = s.Run(ctx)
		res.goexit = false
	}()
	return cancel, out
}

func TestLog(t *testing.T) {
	var nilLog *Log
	nilLog.Add("x")
	nilLog.Reset()
	if nilLog.Entries() != nil || nilLog.Len() != 0 {
		t.Fatal("nil Log recorded something")
	}
	l := NewLog()
	l.Add("a")
	l.Add("b")
	got := l.Entries()
	got[0] = "changed"
	if want := []string{"a", "b"}; !slices.Equal(l.Entries(), want) || l.Len() != 2 {
		t.Fatalf("Entries() = %q, want %q", l.Entries(), want)
	}
	l.Reset()
	if l.Len() != 0 {
		t.Fatalf("after Reset: %q", l.Entries())
	}
}

func TestScriptTimeline(t *testing.T) {
	tests := []struct {
		name       string
		step       Step
		cancelAt   time.Duration // 0: never cancel
		wantErr    error
		wantReady  time.Duration
		wantEnd    time.Duration
		wantPanic  any
		wantGoexit bool
		wantStop   string
	}{
		{name: "zero step blocks until cancelled", cancelAt: 3 * time.Second,
			wantReady: 0, wantEnd: 3 * time.Second, wantStop: "stop s#1"},
		{name: "error after cancellation", step: Step{Err: errBoom}, cancelAt: time.Second,
			wantErr: errBoom, wantReady: 0, wantEnd: time.Second, wantStop: "stop s#1 err=boom"},
		{name: "ready later", step: Step{ReadyAfter: 2 * time.Second}, cancelAt: 5 * time.Second,
			wantReady: 2 * time.Second, wantEnd: 5 * time.Second, wantStop: "stop s#1"},
		{name: "cancelled before ready", step: Step{ReadyAfter: 2 * time.Second}, cancelAt: time.Second,
			wantReady: -1, wantEnd: time.Second, wantStop: "stop s#1"},
		{name: "never ready", step: Step{ReadyAfter: NoReady}, cancelAt: time.Second,
			wantReady: -1, wantEnd: time.Second, wantStop: "stop s#1"},
		{name: "at once with ready", step: Step{RunFor: AtOnce, Err: errBoom},
			wantErr: errBoom, wantReady: 0, wantEnd: 0, wantStop: "stop s#1 err=boom"},
		{name: "at once without ready", step: Step{RunFor: AtOnce, ReadyAfter: NoReady},
			wantReady: -1, wantEnd: 0, wantStop: "stop s#1"},
		{name: "at once skips a later ready", step: Step{RunFor: AtOnce, ReadyAfter: time.Second},
			wantReady: -1, wantEnd: 0, wantStop: "stop s#1"},
		{name: "runs for a while", step: Step{RunFor: 4 * time.Second, ReadyAfter: time.Second, Err: errBoom},
			wantErr: errBoom, wantReady: time.Second, wantEnd: 4 * time.Second, wantStop: "stop s#1 err=boom"},
		{name: "ready at the same time as the end", step: Step{RunFor: 2 * time.Second, ReadyAfter: 2 * time.Second},
			wantReady: 2 * time.Second, wantEnd: 2 * time.Second, wantStop: "stop s#1"},
		{name: "ends before ready", step: Step{RunFor: time.Second, ReadyAfter: 2 * time.Second},
			wantReady: -1, wantEnd: time.Second, wantStop: "stop s#1"},
		{name: "cancelled before its end", step: Step{RunFor: 4 * time.Second}, cancelAt: time.Second,
			wantReady: 0, wantEnd: time.Second, wantStop: "stop s#1"},
		{name: "slow to stop", step: Step{IgnoreCancelFor: 3 * time.Second}, cancelAt: time.Second,
			wantReady: 0, wantEnd: 4 * time.Second, wantStop: "stop s#1"},
		{name: "panic", step: Step{RunFor: time.Second, Panic: "oops", Err: errBoom, Goexit: true},
			wantPanic: "oops", wantReady: 0, wantEnd: time.Second, wantStop: "stop s#1 panic"},
		{name: "goexit", step: Step{Goexit: true, Err: errBoom}, cancelAt: time.Second,
			wantGoexit: true, wantReady: 0, wantEnd: time.Second, wantStop: "stop s#1 goexit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := NewLog()
				s := &Script{Name: "s", Log: log, Steps: []Step{tt.step}}
				cancel, out := start(s)
				if tt.cancelAt > 0 {
					time.Sleep(tt.cancelAt)
					cancel(errBoom)
				}
				res := <-out
				cancel(nil)
				if !errors.Is(res.err, tt.wantErr) || (tt.wantErr == nil && res.err != nil) {
					t.Errorf("err = %v, want %v", res.err, tt.wantErr)
				}
				if res.panic != tt.wantPanic || res.goexit != tt.wantGoexit {
					t.Errorf("panic, goexit = %v, %v; want %v, %v", res.panic, res.goexit, tt.wantPanic, tt.wantGoexit)
				}
				if res.readyAt != tt.wantReady || res.endAt != tt.wantEnd {
					t.Errorf("ready at %v, end at %v; want %v, %v", res.readyAt, res.endAt, tt.wantReady, tt.wantEnd)
				}
				if want := []string{"start s#1", tt.wantStop}; !slices.Equal(log.Entries(), want) {
					t.Errorf("log = %q, want %q", log.Entries(), want)
				}
				if got := s.Cause(1); (tt.cancelAt > 0) != (got != nil) || (got != nil && got != errBoom) {
					t.Errorf("Cause(1) = %v", got)
				}
				if s.Starts() != 1 || s.Stops() != 1 || s.Live() != 0 || s.MaxLive() != 1 {
					t.Errorf("starts %d stops %d live %d maxLive %d", s.Starts(), s.Stops(), s.Live(), s.MaxLive())
				}
			})
		})
	}
}

func TestScriptStepsThenDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := NewLog()
		s := FailN("db", log, 2, errBoom)
		for i := 1; i <= 2; i++ {
			_, out := start(s)
			if res := <-out; res.err != errBoom || res.readyAt != -1 {
				t.Fatalf("run %d: err %v, ready at %v; want boom, no ready", i, res.err, res.readyAt)
			}
		}
		cancel, out := start(s)
		synctest.Wait()
		if s.Live() != 1 {
			t.Fatalf("third run is not blocked: live = %d", s.Live())
		}
		cancel(errBoom)
		if res := <-out; res.err != nil || res.readyAt != 0 {
			t.Fatalf("third run: err %v, ready at %v; want nil, 0", res.err, res.readyAt)
		}
		want := []string{
			"start db#1", "stop db#1 err=boom",
			"start db#2", "stop db#2 err=boom",
			"start db#3", "stop db#3",
		}
		if !slices.Equal(log.Entries(), want) {
			t.Fatalf("log = %q, want %q", log.Entries(), want)
		}
		if s.Cause(1) != nil || s.Cause(3) != errBoom {
			t.Fatalf("causes: %v, %v", s.Cause(1), s.Cause(3))
		}
	})
}

func TestHelpers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := NewLog()
		_, out := start(ReturnNil("a", log))
		if res := <-out; res.err != nil || res.panic != nil || res.readyAt != -1 {
			t.Errorf("ReturnNil: %+v", res)
		}
		_, out = start(Panicker("b", log, errBoom))
		if res := <-out; res.panic != errBoom {
			t.Errorf("Panicker: %+v", res)
		}
		f := Failer("c", log, errBoom)
		for range 2 {
			_, out = start(f)
			if res := <-out; res.err != errBoom {
				t.Errorf("Failer: %+v", res)
			}
		}
		cancel, out := start(Blocker("d", log))
		time.Sleep(time.Hour)
		cancel(nil)
		if res := <-out; res.err != nil || res.readyAt != 0 || res.endAt != time.Hour {
			t.Errorf("Blocker: %+v", res)
		}
		want := []string{
			"start a#1", "stop a#1",
			"start b#1", "stop b#1 panic",
			"start c#1", "stop c#1 err=boom",
			"start c#2", "stop c#2 err=boom",
			"start d#1", "stop d#1",
		}
		if !slices.Equal(log.Entries(), want) {
			t.Fatalf("log = %q, want %q", log.Entries(), want)
		}
	})
}

func TestStubbornRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := NewLog()
		s := Stubborn("x", log)
		cancel, out := start(s)
		cancel(errBoom)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if s.Live() != 1 || log.Len() != 1 {
			t.Fatalf("stubborn stopped: live %d, log %q", s.Live(), log.Entries())
		}
		s.Release()
		s.Release() // idempotent
		if res := <-out; res.err != nil || res.endAt != 24*time.Hour {
			t.Fatalf("after Release: %+v", res)
		}
		// Later incarnations return as soon as they are cancelled.
		cancel, out = start(s)
		cancel(nil)
		<-out
		want := []string{"start x#1", "stop x#1", "start x#2", "stop x#2"}
		if !slices.Equal(log.Entries(), want) {
			t.Fatalf("log = %q, want %q", log.Entries(), want)
		}
	})
}

func TestReleaseCutsFiniteWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Script{Name: "x", Default: Step{IgnoreCancelFor: time.Minute}}
		cancel, out := start(s)
		time.Sleep(time.Second)
		cancel(nil)
		time.Sleep(time.Second)
		s.Release()
		if res := <-out; res.endAt != 2*time.Second {
			t.Fatalf("ended at %v, want 2s", res.endAt)
		}
	})
}

func TestMaxLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := Blocker("x", nil)
		c1, o1 := start(s)
		c2, o2 := start(s)
		synctest.Wait()
		if s.Live() != 2 || s.MaxLive() != 2 {
			t.Fatalf("live %d maxLive %d, want 2, 2", s.Live(), s.MaxLive())
		}
		c1(nil)
		c2(nil)
		<-o1
		<-o2
		if s.Live() != 0 || s.MaxLive() != 2 || s.Stops() != 2 {
			t.Fatalf("live %d maxLive %d stops %d", s.Live(), s.MaxLive(), s.Stops())
		}
	})
}
