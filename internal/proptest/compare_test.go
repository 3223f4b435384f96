package proptest

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/arbor-go/arbor/supervisor"
)

// compare returns every difference between the real tree and the model.
func (h *harness) compare() []string {
	h.poll()
	var diffs []string
	lines, bad := h.tr.snapshot()
	diffs = append(diffs, bad...)
	diffs = append(diffs, h.reg.violations...)
	if i := firstDiff(lines, h.m.Trace); i >= 0 {
		diffs = append(diffs, "trace differs at line "+fmt.Sprint(i)+":\n"+sideBySide(lines, h.m.Trace, i))
	}
	if h.m.Tie {
		diffs = append(diffs, "model: two timers fired at one instant (generator flaw)")
	}
	want := h.m.RunningLeaves()
	slices.Sort(want)
	if got := h.reg.paths(); !slices.Equal(got, want) {
		diffs = append(diffs, fmt.Sprintf("live leaves: real %v, model %v", got, want))
	}
	running := make(map[string]*Sup)
	for _, s := range h.m.Sups() {
		running[s.Path] = s
	}
	for path, real := range h.sups {
		got := real.Children()
		s := running[path]
		if s == nil {
			if got != nil {
				diffs = append(diffs, fmt.Sprintf("%s: model says not running, real has children %v", path, fmtInfos(got)))
			}
			continue
		}
		if a, b := fmtInfos(got), fmtModel(s.Children); a != b {
			diffs = append(diffs, fmt.Sprintf("%s children:\n  real  %s\n  model %s", path, a, b))
		}
	}
	if h.ran != h.m.Done {
		diffs = append(diffs, fmt.Sprintf("root Run returned: real %v (%v), model %v", h.ran, h.runErr, h.m.Done))
	} else if h.ran {
		if d := compareResult(h.runErr, h.m.Result); d != "" {
			diffs = append(diffs, d)
		}
	}
	return diffs
}

func compareResult(err error, want Outcome) string {
	if !want.Escalated {
		if err != nil {
			return fmt.Sprintf("Run returned %v, model says nil", err)
		}
		return ""
	}
	var esc *supervisor.EscalationError
	if !errors.As(err, &esc) {
		return fmt.Sprintf("Run returned %v, model says %v", err, want)
	}
	got := Outcome{Escalated: true, Supervisor: esc.Supervisor, Child: esc.Child, Origin: esc.Origin, Why: esc.Reason, Restarts: esc.Restarts}
	if got != want {
		return fmt.Sprintf("Run returned %v, model says %v", got, want)
	}
	return ""
}

func fmtInfos(cs []supervisor.ChildInfo) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s:%v#%d r%d", c.Name, c.State, c.Incarnation, c.Restarts)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func fmtModel(cs []*Child) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s:%v#%d r%d", c.Name, c.State, c.Inc, c.Restarts)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

func sideBySide(real, model []string, from int) string {
	var b strings.Builder
	start := max(0, from-4)
	for i := start; i < max(len(real), len(model)) && i < from+12; i++ {
		r, m := "", ""
		if i < len(real) {
			r = real[i]
		}
		if i < len(model) {
			m = model[i]
		}
		mark := "  "
		if r != m {
			mark = "!="
		}
		fmt.Fprintf(&b, "  %3d %-45s %s %s\n", i, r, mark, m)
	}
	return b.String()
}
