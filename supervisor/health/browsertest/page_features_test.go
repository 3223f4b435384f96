package browsertest

import (
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/chromedp/chromedp"
)

var groupShot = flag.String("group-screenshot", "", "write a screenshot (PNG) of the page during a group restart to this file")

// serveClosable serves h under /debug/tree/ on 127.0.0.1 and returns the
// page's URL and a function that closes the server (also called when t
// ends).
func serveClosable(t *testing.T, h http.Handler) (url string, closeServer func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/tree/", http.StripPrefix("/debug/tree", h))
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var closed bool
	closeServer = func() {
		if !closed {
			closed = true
			srv.Close()
			<-served
		}
	}
	t.Cleanup(closeServer)
	return "http://" + ln.Addr().String() + "/debug/tree/ui", closeServer
}

// checkQuiet fails t for each console error and dialog of the page.
func checkQuiet(t *testing.T, tb *tab) {
	t.Helper()
	problems, dialogs := tb.problemsAndDialogs()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
	for _, d := range dialogs {
		t.Errorf("a dialog opened: %q", d)
	}
}

// A OneForAll group restart is one entry of the event list: the child
// whose failure caused it, its error, its delay written for people, and
// the siblings restarted with it; its events are folded into the entry,
// not listed one by one. Each child's strip shows its restart: red for the
// child that failed, amber for those restarted with it.
func TestPageShowsAGroupRestartAsOneEntry(t *testing.T) {
	tb := openBrowser(t)
	fail := make(chan error)
	never := make(chan error)
	pool := mustNew(t, "pool", supervisor.WithStrategy(policy.OneForAll),
		supervisor.WithJitter(func() float64 { return 0 }),
		supervisor.WithBackoff(policy.Backoff{Initial: 4421656339 * time.Nanosecond, Max: time.Minute}),
		supervisor.WithChildren(
			supervisor.Child{Name: "w1", Actor: failOn(never)},
			supervisor.Child{Name: "w2", Actor: failOn(fail)},
			supervisor.Child{Name: "w3", Actor: failOn(never)},
			supervisor.Child{Name: "w4", Actor: failOn(never)},
		))
	sup := mustNew(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "api", Actor: failOn(never), WaitReady: true},
		supervisor.Child{Name: "pool", Actor: pool},
	))
	start(t, sup)
	url := serve(t, health.Handler(sup))
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(1100, 700), chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the live page", `document.getElementById("conn").textContent === "live" &&
		document.querySelectorAll("#tree tbody tr").length === 7`)
	before := eval[int](t, tb, `document.querySelectorAll("#events > li").length`)

	fail <- errors.New("read tcp 10.0.0.9:6379: connection reset by peer")
	group := `document.querySelector('#events > li[data-kind="group_restart"][data-origin="root/pool/w2"]')`
	tb.poll(t, "the group restart, its siblings stopped", group+` !== null &&
		`+group+`.dataset.with === "w1 w3 w4" &&
		document.querySelector('#tree tr[data-path="root/pool/w2"]').dataset.state === "backoff" &&
		document.querySelectorAll("#tree .group-note").length === 3`)
	if *groupShot != "" {
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*groupShot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", *groupShot, len(png))
	}
	notes := eval[[]string](t, tb, `Array.from(document.querySelectorAll('#tree tr[data-path^="root/pool/"]')).map(function (tr) {
		var n = tr.querySelector(".group-note");
		return tr.dataset.path + ": " + (n ? n.textContent : "");
	})`)
	wantNotes := []string{"root/pool/w1: with w2, which failed", "root/pool/w2: ", "root/pool/w3: with w2, which failed", "root/pool/w4: with w2, which failed"}
	if len(notes) != len(wantNotes) || notes[0] != wantNotes[0] || notes[1] != wantNotes[1] || notes[2] != wantNotes[2] || notes[3] != wantNotes[3] {
		t.Errorf("the tree's notes during the group restart %q, want %q", notes, wantNotes)
	}
	if got := eval[string](t, tb, group+`.querySelector(".facts").textContent`); got != "failed · restarting after 4.4 s" {
		t.Errorf("the group's summary %q, want %q", got, "failed · restarting after 4.4 s")
	}
	if got := eval[string](t, tb, group+`.querySelector(".error").textContent`); got != "read tcp 10.0.0.9:6379: connection reset by peer" {
		t.Errorf("the group's error %q", got)
	}
	if got := eval[string](t, tb, group+`.querySelector(".with").textContent`); got != "restarting with it: w1, w3, w4" {
		t.Errorf("the group's siblings %q", got)
	}

	// The restart completes after its delay: the group's entry takes its
	// events, and no other entry is added.
	tb.poll(t, "the group restarted", group+`.querySelector("summary").textContent === "9 events" &&
		`+group+`.querySelector(".with").textContent === "restarted with it: w1, w3, w4" &&
		Array.from(document.querySelectorAll('#tree tr[data-path^="root/pool/"]')).every(function (tr) {
			return tr.dataset.state === "running";
		})`)
	if got := eval[int](t, tb, `document.querySelectorAll("#events > li").length`); got != before+1 {
		t.Errorf("%d entries after the group restart, want %d: one more\n%s", got, before+1, tb.dump(t))
	}
	kinds := eval[[]string](t, tb, `Array.from(`+group+`.querySelectorAll("details li")).map(function (li) {
		return li.querySelector(".kind").textContent + " " + li.querySelector(".path").textContent;
	})`)
	want := []string{"failed root/pool/w2", "restarting root/pool/w2", "stopped root/pool/w4", "stopped root/pool/w3",
		"stopped root/pool/w1", "started root/pool/w1", "started root/pool/w2", "started root/pool/w3", "started root/pool/w4"}
	if len(kinds) != len(want) {
		t.Fatalf("folded events %q, want %q", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("folded events %q, want %q", kinds, want)
		}
	}
	strips := eval[[]string](t, tb, `Array.from(document.querySelectorAll('#tree tr[data-path^="root/"]')).map(function (tr) {
		var s = tr.querySelector("svg.strip");
		return tr.dataset.path + " " + s.dataset.own + "/" + s.dataset.group + " " + s.querySelectorAll("rect.bar").length;
	})`)
	wantStrips := []string{"root/api 0/0 0", "root/pool 0/0 0", "root/pool/w1 0/1 1", "root/pool/w2 1/0 1", "root/pool/w3 0/1 1", "root/pool/w4 0/1 1"}
	for i := range wantStrips {
		if i >= len(strips) || strips[i] != wantStrips[i] {
			t.Fatalf("strips (own/group bars) %q, want %q", strips, wantStrips)
		}
	}
	if n := eval[int](t, tb, `(document.body.innerText.match(/\d\.\d{3,}/g) || []).length`); n != 0 {
		t.Errorf("numbers with long fractions on the page:\n%s", tb.dump(t))
	}
	checkQuiet(t, tb)
}

// A page opened after failures shows them: the stream starts with the
// events the handler kept, and the strips count their restarts.
func TestPageOpenedLaterShowsTheRecentPast(t *testing.T) {
	tb := openBrowser(t)
	fail := make(chan error)
	never := make(chan error)
	sup := mustNew(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "api", Actor: failOn(never)},
		supervisor.Child{Name: "flaky", Actor: failOn(fail)},
	))
	start(t, sup)
	h := health.Handler(sup)
	url := serve(t, h)
	sub, err := sup.Subscribe(16)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if code, _ := testutil.Get(t, url[:len(url)-len("/ui")]+"/readyz"); code != http.StatusOK { // a probe: the handler starts keeping events
		t.Fatalf("/readyz: %d", code)
	}
	for _, text := range []string{"first failure", "second failure"} {
		fail <- errors.New(text)
		for n := 0; n < 3; n++ { // failed, restarting, started
			testutil.Receive(t, sub.Events(), "the failure's events")
		}
	}

	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the past failures", `
		document.getElementById("conn").textContent === "live" &&
		Array.from(document.querySelectorAll('#events li[data-path="root/flaky"][data-kind="failed"] .error')).map(function (e) {
			return e.textContent;
		}).join(",") === "second failure,first failure" &&
		(function () {
			// The events can come before the tree is drawn. (A predicate
			// that throws ends chromedp's poll without an answer.)
			var strip = document.querySelector('#tree tr[data-path="root/flaky"] svg.strip');
			return strip !== null && strip.dataset.own === "2";
		})()`)
	checkQuiet(t, tb)
}

// When the tree stops, the page says so; when the process has gone (its
// server answers no more), the page says that plainly, and keeps the last
// state on view, marked as the past.
func TestPageSaysWhenTheProcessHasGone(t *testing.T) {
	tb := openBrowser(t)
	never := make(chan error)
	sup := mustNew(t, "root", supervisor.WithChildren(supervisor.Child{Name: "api", Actor: failOn(never)}))
	stop := start(t, sup)
	url, closeServer := serveClosable(t, health.Handler(sup))
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the live page", `document.getElementById("conn").textContent === "live" &&
		document.getElementById("gone").hidden && document.getElementById("stopped").hidden`)

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	tb.poll(t, "the stopped tree", `!document.getElementById("stopped").hidden &&
		document.getElementById("conn").textContent === "tree stopped"`)

	closeServer()
	tb.poll(t, "the process gone", `!document.getElementById("gone").hidden &&
		document.getElementById("gone").textContent.startsWith("The process has gone: nothing has answered since ") &&
		document.getElementById("health").textContent === "process gone" &&
		document.body.classList.contains("gone") &&
		document.querySelector('#tree tr[data-path="root"]') !== null`)
	// The console reports the failed connections to the closed server as
	// errors: they are the point of this test, not a problem of the page.
}
