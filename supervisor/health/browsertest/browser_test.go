package browsertest

import (
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/policy"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/arbor-go/arbor/internal/testutil"
)

// TestMain sets patience from the test binary's -timeout and checks that
// no test leaks a goroutine.
func TestMain(m *testing.M) {
	flag.Parse()
	patience = testutil.Patience()
	goleak.VerifyTestMain(m)
}

var screenshot = flag.String("screenshot", "", "write a screenshot (PNG) of the page with a sample tree to this file")

// requireBrowser is the variable under which a test that cannot start a
// browser fails instead of skipping (CI sets it).
const requireBrowser = "ARBOR_REQUIRE_BROWSER"

// patience bounds every wait for the page: the test binary's -timeout less
// a grace (testutil.Patience, set by TestMain), never a guess at how long
// a loaded machine takes to start a browser.
var patience time.Duration

// unavailable skips t, or fails it under ARBOR_REQUIRE_BROWSER=1.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireBrowser) == "1" {
		t.Fatalf("no browser, and "+requireBrowser+"=1: "+format, args...)
	}
	t.Skipf("skipped, no browser: "+format+" (set "+requireBrowser+"=1 to fail instead)", args...)
}

// findBrowser returns the path of a Chromium or Chrome binary: the one
// named by $ARBOR_CHROMIUM, or the first found on $PATH. The path is of an
// executable file: chromedp v0.23.1 cannot be cancelled after it failed to
// execute one, so that is checked here.
func findBrowser() (string, error) {
	if p := os.Getenv("ARBOR_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser, google-chrome or google-chrome-stable on $PATH and $ARBOR_CHROMIUM unset (Debian: apt-get install chromium)")
}

// tab is a tab of a headless browser, with what its page reported.
type tab struct {
	ctx context.Context

	mu       sync.Mutex // guards problems and dialogs
	problems []string   // console errors and uncaught exceptions
	dialogs  []string   // alert, confirm or prompt messages (all dismissed)
}

// problemsAndDialogs returns what the page reported so far.
func (tb *tab) problemsAndDialogs() (problems, dialogs []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.problems...), append([]string(nil), tb.dialogs...)
}

// openBrowser starts a headless browser with one tab, or skips t. The
// browser is closed when t ends.
func openBrowser(t *testing.T) *tab {
	t.Helper()
	path, err := findBrowser()
	if err != nil {
		unavailable(t, "%v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	tb := &tab{ctx: ctx}
	var watchers sync.WaitGroup
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing the browser: %v", err)
		}
		ccancel()
		cancel()
		allocCancel()
		watchers.Wait()
	})
	if err := chromedp.Do(ctx); err != nil {
		unavailable(t, "cannot start %s: %v", path, err)
	}

	console := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	watchers.Add(2)
	go func() {
		defer watchers.Done()
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				tb.mu.Lock()
				tb.problems = append(tb.problems, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	go func() {
		defer watchers.Done()
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, ev.Message)
			tb.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return tb
}

// poll waits until the JavaScript expression is truthy. An expression
// that throws (it reads an element the page has not drawn yet) counts as
// false: chromedp's polling stops for good at the first exception thrown
// in an animation frame, its own timeout included, which made a test hang
// until the binary's deadline instead of waiting for the page. The wait is
// bounded on this side too (testutil.Context), whatever the page does.
func (tb *tab) poll(t *testing.T, what, expression string) {
	t.Helper()
	guarded := "(() => { try { return !!(" + expression + "); } catch (e) { return false; } })()"
	bound, cancel := testutil.Context(t)
	defer cancel()
	ctx, stop := context.WithCancel(tb.ctx)
	defer stop()
	defer context.AfterFunc(bound, stop)()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](guarded, chromedp.WithPollingTimeout(patience))); err != nil {
		t.Fatalf("waiting for %s: %v\n%s", what, err, tb.dump(t))
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](t *testing.T, tb *tab, expression string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expression, err)
	}
	return v
}

// dump returns the page's text, for failure messages.
func (tb *tab) dump(t *testing.T) string {
	text, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return "(page text unavailable: " + err.Error() + ")"
	}
	return "page text:\n" + text
}

// serve serves h under /debug/tree/ on 127.0.0.1 and returns the page's
// URL. The server is closed when t ends.
func serve(t *testing.T, h http.Handler) string {
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
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return "http://" + ln.Addr().String() + "/debug/tree/ui"
}

// start runs sup until stop is called or t ends, and waits until it is
// ready.
func start(t *testing.T, sup *supervisor.Supervisor) (stop func() error) {
	t.Helper()
	r := supervisortest.Start(t, sup)
	ctx, cancel := testutil.Context(t)
	defer cancel()
	if err := r.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return r.Stop
}

// failOn runs until cancelled, and fails with each error sent on fail
// (testutil.FailOn).
func failOn(fail <-chan error) actor.Func { return testutil.FailOn(fail) }

func mustNew(t *testing.T, name string, opts ...supervisor.Option) *supervisor.Supervisor {
	t.Helper()
	return supervisortest.New(t, name, opts...)
}

// injection is an error text that would run script and make elements if the
// page put it into its HTML.
const injection = `<img src=x onerror=alert(1)><b>bold</b><script>window.injected=1</script>`

// The page shows the tree, and follows a child's failures live, without a
// reload: the restart count, the last error and the event. An error text
// with markup is shown as text; no element comes from it and no script of
// it runs.
func TestLivePage(t *testing.T) {
	tb := openBrowser(t)
	fail := make(chan error)
	never := make(chan error)
	sup := mustNew(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "api", Actor: failOn(never), WaitReady: true},
		supervisor.Child{Name: "flaky", Actor: failOn(fail)},
		supervisor.Child{Name: "db", Actor: mustNew(t, "db", supervisor.WithChildren(
			supervisor.Child{Name: "pool", Actor: failOn(never)}))},
	))
	stop := start(t, sup)
	url := serve(t, health.Handler(sup))

	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the tree and the live stream", `
		document.querySelectorAll("#tree tbody tr").length === 5 &&
		document.querySelector('#tree tr[data-path="root/db/pool"] td.state').textContent === "running" &&
		document.querySelector('#tree tr[data-path="root/flaky"] td.restarts').textContent === "0" &&
		document.getElementById("health").textContent === "ready" &&
		document.getElementById("conn").textContent === "live"`)
	if got := eval[string](t, tb, `document.title`); got != "root · arbor" {
		t.Errorf("title %q", got)
	}
	eval[chromedp.Void](t, tb, `window.marker = "same page"`)

	fail <- errors.New("dial tcp 10.0.0.7:5432: connect: connection refused")
	tb.poll(t, "the first restart", `
		document.querySelector('#tree tr[data-path="root/flaky"] td.restarts').textContent === "1" &&
		document.querySelector('#tree tr[data-path="root/flaky"] .error').textContent ===
			"dial tcp 10.0.0.7:5432: connect: connection refused" &&
		document.querySelector('#events li[data-path="root/flaky"][data-kind="failed"] .error').textContent ===
			"dial tcp 10.0.0.7:5432: connect: connection refused" &&
		document.querySelector('#events li[data-path="root/flaky"][data-kind="restarting"]') !== null`)

	fail <- errors.New(injection)
	tb.poll(t, "the second restart", `
		document.querySelector('#tree tr[data-path="root/flaky"] td.restarts').textContent === "2" &&
		document.querySelector('#events li[data-path="root/flaky"][data-kind="failed"] .error').textContent ===`+
		jsString(injection))
	if got := eval[string](t, tb, `document.querySelector('#tree tr[data-path="root/flaky"] .error').textContent`); got != injection {
		t.Errorf("last error shown as %q, want the literal text %q", got, injection)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("img, b, script:not([src])").length`); n != 0 {
		t.Errorf("%d elements made from the error text", n)
	}
	if got := eval[string](t, tb, `String(window.injected)`); got != "undefined" {
		t.Errorf("the error text's script ran: window.injected = %s", got)
	}
	if got := eval[string](t, tb, `String(window.marker)`); got != "same page" {
		t.Errorf("the page was reloaded: marker %q", got)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("#events li").length`); n < 6 {
		t.Errorf("%d events listed, want at least 6", n)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// The stream ends at the start of the shutdown; the page then finds the
	// tree stopped.
	tb.poll(t, "the end of the stream", `(document.getElementById("conn").textContent.startsWith("stream ended (shutting down)") ||
		document.getElementById("conn").textContent === "tree stopped") &&
		document.getElementById("health").textContent.startsWith("not ready")`)

	problems, dialogs := tb.problemsAndDialogs()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
	for _, d := range dialogs {
		t.Errorf("a dialog opened: %q", d)
	}
}

// jsString returns s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "<", `\x3c`)
	return `"` + r.Replace(s) + `"`
}

// TestScreenshot writes a screenshot of the page with a small sample tree to
// the file named by -screenshot (docs/tree-page.png in the README).
func TestScreenshot(t *testing.T) {
	if *screenshot == "" {
		t.Skip("no -screenshot file given")
	}
	tb := openBrowser(t)
	never := make(chan error)
	mailer := make(chan error)
	reports := make(chan error)
	sup := mustNew(t, "shop", supervisor.WithChildren(
		supervisor.Child{Name: "http", Actor: failOn(never), WaitReady: true},
		supervisor.Child{Name: "db", Actor: mustNew(t, "db", supervisor.WithChildren(
			supervisor.Child{Name: "pool-1", Actor: failOn(never)},
			supervisor.Child{Name: "pool-2", Actor: failOn(never)}))},
		supervisor.Child{Name: "mailer", Actor: failOn(mailer)},
		supervisor.Child{Name: "reports", Actor: failOn(reports), WaitReady: true,
			Backoff: &policy.Backoff{Initial: time.Minute}},
	))
	start(t, sup)
	url := serve(t, health.Handler(sup))
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(1100, 640), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	tb.poll(t, "the stream", `document.getElementById("conn").textContent === "live"`)
	mailer <- errors.New("dial tcp 10.0.0.7:25: connect: connection refused")
	mailer <- errors.New("smtp: 421 4.7.0 try again later")
	reports <- errors.New(`GET https://api.example.com/v2/sales?from=2026-01-01: 503 Service Unavailable`)
	tb.poll(t, "the failures", `
		document.querySelector('#tree tr[data-path="shop/mailer"] td.restarts').textContent === "2" &&
		document.querySelector('#tree tr[data-path="shop/reports"]').dataset.state === "backoff"`)
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", *screenshot, len(png))
}
