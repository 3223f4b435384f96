package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
)

// userText is a text from user code (a panic value, an error's text) that
// holds control characters: line breaks, a tab, an escape.
const userText = "nil map\nin decider\r\n\tat line 3\x1b[0m\u2028end"

// userTextEscaped is userText as a one-line text carries it.
const userTextEscaped = `nil map\nin decider\r\n\tat line 3\x1b[0m\u2028end`

// wantOneLine checks that text is on one line and carries userText
// escaped.
func wantOneLine(t *testing.T, what, text string) {
	t.Helper()
	if strings.ContainsAny(text, "\n\r\t\x1b\u2028") {
		t.Errorf("%s is not one line: %q", what, text)
	}
	if !strings.Contains(text, userTextEscaped) {
		t.Errorf("%s = %q, want it to carry the user's text escaped: %s", what, text, userTextEscaped)
	}
}

// The one-line texts of the supervisor's errors stay on one line whatever
// user text they carry (a panic value, an error's text, a probe's error):
// its control characters are escaped.
func TestOneLineErrorTextsEscapeTheUsersControlCharacters(t *testing.T) {
	fails := actor.Func(func(context.Context) error { return errors.New(userText) })
	tests := []struct {
		name  string
		child supervisor.Child
		opts  []supervisor.Option
		what  string // the error whose text is checked, found with errors.As
	}{
		{"decider panics", supervisor.Child{Name: "db", Actor: fails,
			Decider: func(error) policy.Directive { panic(userText) }}, nil, "escalation"},
		{"decider panics with an error", supervisor.Child{Name: "db", Actor: fails,
			Decider: func(error) policy.Directive { panic(errors.New(userText)) }}, nil, "escalation"},
		{"child fails", supervisor.Child{Name: "db", Actor: fails}, nil, "escalation"},
		{"child panics", supervisor.Child{Name: "db",
			Actor: actor.Func(func(context.Context) error { panic(userText) })}, nil, "escalation"},
		{"decider says escalate", supervisor.Child{Name: "db", Actor: fails,
			Decider: func(error) policy.Directive { return policy.Escalate }}, nil, "escalation"},
		{"start fails", supervisor.Child{Name: "db", Actor: fails, WaitReady: true}, nil, "start"},
		{"start times out", supervisor.Child{Name: "db", WaitReady: true, StartTimeout: time.Second,
			Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return errors.New(userText) })}, nil, "start"},
		{"probe fails", supervisor.Child{Name: "db", Actor: actor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil }),
			Liveness: &supervisor.Liveness{Timeout: time.Second,
				Probe: func(context.Context) error { return errors.New(userText) }}}, nil, "hung"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := append([]supervisor.Option{supervisor.WithChildren(tt.child),
					supervisor.WithIntensity(policy.Intensity{MaxRestarts: 0, Period: time.Second})}, tt.opts...)
				err := ssNew(t, "root", opts...).Run(t.Context())
				if err == nil {
					t.Fatal("Run = nil, want an error")
				}
				wantOneLine(t, "Run's error", err.Error())
				switch tt.what {
				case "escalation":
					var esc *supervisor.EscalationError
					if !errors.As(err, &esc) {
						t.Fatalf("Run = %v, want an escalation", err)
					}
					wantOneLine(t, "the escalation's text", esc.Error())
				case "start":
					var se *supervisor.StartError
					if !errors.As(err, &se) {
						t.Fatalf("Run = %v, want a start error", err)
					}
					wantOneLine(t, "the start error's text", se.Error())
				case "hung":
					var he *supervisor.HungError
					if !errors.As(err, &he) {
						t.Fatalf("Run = %v, want a hang", err)
					}
					wantOneLine(t, "the hang's text", he.Error())
				}
			})
		})
	}
}

// The one-line texts of errors a user makes of the supervisor's types stay
// on one line too.
func TestOneLineErrorTextsMadeByAUserEscapeControlCharacters(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"OpError", &supervisor.OpError{Op: "Remove", Supervisor: "root", Child: "root/db", Err: errors.New(userText)}},
		{"StartError", &supervisor.StartError{Supervisor: "root", Child: "root/db", Err: errors.New(userText)}},
		{"EscalationError", &supervisor.EscalationError{Supervisor: "root", Child: "root/db", Origin: "root/db",
			Reason: "decider", Err: errors.New(userText)}},
		{"StuckError", &supervisor.StuckError{Supervisor: "root",
			Stuck: []supervisor.StuckChild{{Path: "root/" + userText, Waited: time.Second}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOneLine(t, tt.name, tt.err.Error())
		})
	}
}

// Texts without control characters are left as they are.
func TestOneLineErrorTextsWithoutControlCharactersAreUnchanged(t *testing.T) {
	const plain = `dial tcp 10.0.0.1:5432: connection refused; "quoted" \n stays \ und ünïcode`
	err := &supervisor.StartError{Supervisor: "root", Child: "root/db", Err: errors.New(plain)}
	if got, want := err.Error(), "root: start of root/db failed: "+plain; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// The text tree shows each node on one line whatever its status and last
// error hold.
func TestTextTreeKeepsOneLinePerNodeWhateverItsStatusHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sup := ssNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "db",
			Actor: actor.Func(func(ctx context.Context) error {
				actor.SetStatus(ctx, userText)
				<-ctx.Done()
				return nil
			})}))
		ctx, cancel := context.WithCancel(t.Context())
		done := ssGo(ctx, sup)
		synctest.Wait()
		text := sup.Snapshot().String()
		if lines := strings.Split(text, "\n"); len(lines) != 2 {
			t.Errorf("text tree of 2 nodes has %d lines:\n%s", len(lines), text)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// A tree made by a user or decoded from another process's JSON may hold a
// name that is not printable: its text still has one line per node, the
// name quoted.
func TestTextTreeOfADecodedTreeKeepsOneLinePerNodeWhateverItsNamesHold(t *testing.T) {
	n := supervisor.Snapshot{Name: "root", Kind: supervisor.KindSupervisor, Children: []supervisor.Snapshot{
		{Name: "db\nfake [worker running ready]", Kind: supervisor.KindWorker},
		{Name: "plain", Kind: supervisor.KindWorker},
	}}
	text := n.String()
	lines := strings.Split(text, "\n")
	if len(lines) != 3 {
		t.Fatalf("text tree of 3 nodes has %d lines:\n%s", len(lines), text)
	}
	if want := `  "db\nfake [worker running ready]" [worker`; !strings.HasPrefix(lines[1], want) {
		t.Errorf("line %q, want it to start with %q", lines[1], want)
	}
	if want := "  plain [worker"; !strings.HasPrefix(lines[2], want) {
		t.Errorf("line %q, want it to start with %q", lines[2], want)
	}
}
