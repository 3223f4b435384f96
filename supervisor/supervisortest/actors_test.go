package supervisortest

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

func TestLogFromAddf(t *testing.T) {
	l := NewLog()
	l.Addf("start %s#%d", "a", 1)
	l.Add("stop a#1")
	AssertEqual(t, l.From(1), "stop a#1")
	AssertEqual(t, l.From(-1), "start a#1", "stop a#1")
	if l.From(2) != nil || l.From(5) != nil {
		t.Fatalf("From past the end = %q", l.From(2))
	}
	var nilLog *Log
	nilLog.Addf("x %d", 1)
	if nilLog.From(0) != nil {
		t.Fatal("nil Log recorded something")
	}
}

// TestScriptDo checks that Do and End end a waiting incarnation as the
// function says, and that the Log records how.
func TestScriptDo(t *testing.T) {
	tests := []struct {
		name       string
		step       Step
		end        func(*Script)
		wantErr    error
		wantPanic  any
		wantGoexit bool
		wantReady  time.Duration
		wantStop   string
	}{
		{name: "End with an error", end: func(s *Script) { s.End(errBoom) },
			wantErr: errBoom, wantStop: "stop s#1 err=boom"},
		{name: "End with nil", end: func(s *Script) { s.End(nil) }, wantStop: "stop s#1"},
		{name: "Do panics", end: func(s *Script) { s.Do(func(context.Context) error { panic("oops") }) },
			wantPanic: "oops", wantStop: "stop s#1 panic"},
		{name: "Do calls Goexit", end: func(s *Script) {
			s.Do(func(context.Context) error { runtime.Goexit(); return nil })
		}, wantGoexit: true, wantStop: "stop s#1 goexit"},
		{name: "before ready", step: Step{ReadyAfter: time.Hour}, end: func(s *Script) { s.End(errBoom) },
			wantErr: errBoom, wantReady: -1, wantStop: "stop s#1 err=boom"},
		{name: "before its end", step: Step{RunFor: time.Hour}, end: func(s *Script) { s.End(nil) },
			wantStop: "stop s#1"},
		{name: "Do gets the incarnation's context", end: func(s *Script) {
			s.Do(func(ctx context.Context) error { return ctx.Value(ctxKey{}).(error) })
		}, wantErr: errBoom, wantStop: "stop s#1 err=boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := NewLog()
				s := &Script{Name: "s", Log: log, Steps: []Step{tt.step}}
				cancel, out := startCtx(s, context.WithValue(context.Background(), ctxKey{}, errBoom))
				defer cancel(nil)
				time.Sleep(time.Second)
				tt.end(s)
				res := <-out
				if res.err != tt.wantErr || res.panic != tt.wantPanic || res.goexit != tt.wantGoexit {
					t.Errorf("err %v panic %v goexit %v; want %v %v %v", res.err, res.panic, res.goexit, tt.wantErr, tt.wantPanic, tt.wantGoexit)
				}
				if res.readyAt != tt.wantReady || res.endAt != time.Second {
					t.Errorf("ready at %v, end at %v; want %v, 1s", res.readyAt, res.endAt, tt.wantReady)
				}
				AssertEqual(t, log.Entries(), "start s#1", tt.wantStop)
				if s.Cause(1) != nil || s.Live() != 0 {
					t.Errorf("cause %v, live %d", s.Cause(1), s.Live())
				}
			})
		})
	}
}

type ctxKey struct{}

func TestMoreHelpers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := NewLog()
		_, out := start(Goexiter("g", log))
		if res := <-out; !res.goexit || res.readyAt != -1 {
			t.Errorf("Goexiter: %+v", res)
		}
		cancel, out := start(ReadyAfter("r", log, 3*time.Second))
		time.Sleep(time.Minute)
		cancel(nil)
		if res := <-out; res.readyAt != 3*time.Second || res.endAt != time.Minute || res.err != nil {
			t.Errorf("ReadyAfter: %+v", res)
		}
		if s := FailN("f", nil, -1, errBoom); len(s.Steps) != 0 {
			t.Errorf("FailN(-1) has %d steps", len(s.Steps))
		}
		AssertEqual(t, log.Entries(), "start g#1", "stop g#1 goexit", "start r#1", "stop r#1")
	})
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		begin := time.Now()
		if !Sleep(ctx, time.Hour) || time.Since(begin) != time.Hour {
			t.Fatalf("Sleep(1h) ended after %v", time.Since(begin))
		}
		if !Sleep(ctx, 0) {
			t.Fatal("Sleep(0) reported a cancellation")
		}
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		begin = time.Now()
		if Sleep(ctx, time.Hour) || time.Since(begin) != time.Second {
			t.Fatalf("Sleep cancelled after 1s ended after %v", time.Since(begin))
		}
		if Sleep(ctx, 0) {
			t.Fatal("Sleep(0) on a cancelled context reported elapsed")
		}
	})
}
