package browsertest

import (
	"strings"
	"testing"

	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/health"
	"github.com/chromedp/chromedp"
)

// The page shows the tree within the handler's limits: the nodes kept, in
// place, with their paths rebuilt from their parents; a row for the
// children left out below each node that lost some; and a note of what was
// cut.
func TestPageShowsACutTree(t *testing.T) {
	tb := openBrowser(t)
	never := make(chan error)
	sup := mustNew(t, "root", supervisor.WithChildren(
		supervisor.Child{Name: "a", Actor: failOn(never)},
		supervisor.Child{Name: "sub", Actor: mustNew(t, "sub", supervisor.WithChildren(
			supervisor.Child{Name: "x", Actor: failOn(never)}))},
		supervisor.Child{Name: "b", Actor: failOn(never)},
		supervisor.Child{Name: "c", Actor: failOn(never)},
	))
	start(t, sup)
	h, err := health.NewHandler(sup, health.WithMaxNodes(4))
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, h)
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	tb.poll(t, "the cut tree", `document.querySelectorAll("#tree tbody tr").length === 6 &&
		!document.getElementById("truncated").hidden`)
	rows := eval[[]string](t, tb, `Array.from(document.querySelectorAll("#tree tbody tr")).map(function (tr) {
		return (tr.dataset.path || "") + "|" + tr.querySelector("td").textContent + "|" + tr.querySelector("td").style.paddingLeft;
	})`)
	want := []string{
		"root|root|0.5em",
		"root/a|a|1.9em",
		"root/sub|sub|1.9em",
		"|… 1 more child not shown|3.3em",
		"root/b|b|1.9em",
		"|… 1 more child not shown|1.9em",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if got := eval[string](t, tb, `document.getElementById("truncated").textContent`); got != "Showing 4 nodes of 6 (max_nodes 4)." {
		t.Errorf("truncation note %q", got)
	}
	problems, dialogs := tb.problemsAndDialogs()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
	for _, d := range dialogs {
		t.Errorf("a dialog opened: %q", d)
	}
}
