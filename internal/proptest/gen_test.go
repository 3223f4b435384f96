package proptest

import (
	"fmt"
	"time"

	"github.com/arbor-go/arbor/policy"
	"pgregory.net/rapid"
)

// genCfg bounds the generated cases.
type genCfg struct {
	depth    int // supervisor levels below the root
	fan      int // children per supervisor
	nodes    int // total children in the tree
	steps    int // events per case
	dynamics int // percent of steps that Add or Remove
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// genBackoff draws a backoff whose delays are whole milliseconds (integer
// multipliers), so that timers only ever fire at instants of the events
// that armed them.
func genBackoff(t *rapid.T, label string) policy.Backoff {
	if rapid.IntRange(0, 1).Draw(t, label+".on") == 0 {
		return policy.Backoff{}
	}
	initial := rapid.IntRange(1, 20).Draw(t, label+".initial_ms")
	b := policy.Backoff{
		Initial:     ms(initial),
		Multiplier:  float64(rapid.SampledFrom([]int{0, 1, 2, 3}).Draw(t, label+".multiplier")),
		Jitter:      rapid.SampledFrom([]float64{0, 0.5}).Draw(t, label+".jitter"),
		ResetAfter:  rapid.SampledFrom([]time.Duration{0, ms(1), ms(10), ms(100)}).Draw(t, label+".reset_after"),
		MaxAttempts: rapid.IntRange(0, 4).Draw(t, label+".max_attempts"),
	}
	if k := rapid.IntRange(0, 8).Draw(t, label+".max_factor"); k > 0 {
		b.Max = ms(initial * k)
	}
	return b
}

func genSup(t *rapid.T, cfg genCfg, name, path string, depth int, budget *int) *Node {
	n := &Node{Name: name, Sup: true}
	n.Strategy = policy.Strategy(rapid.IntRange(0, 2).Draw(t, path+".strategy"))
	n.Intensity = policy.Intensity{
		MaxRestarts: rapid.IntRange(-1, 5).Draw(t, path+".max_restarts"),
		Period:      rapid.SampledFrom([]time.Duration{ms(5), ms(20), ms(100), time.Second}).Draw(t, path+".period"),
	}
	if n.Intensity.MaxRestarts < 0 {
		n.Intensity.MaxRestarts = policy.Unlimited
	}
	n.SupBackoff = genBackoff(t, path+".backoff")
	n.Auto = policy.AutoShutdown(rapid.IntRange(0, 2).Draw(t, path+".auto"))
	k := rapid.IntRange(0, cfg.fan).Draw(t, path+".children")
	for i := 0; i < k && *budget > 0; i++ {
		*budget--
		n.Children = append(n.Children, genChild(t, cfg, n.Auto, fmt.Sprintf("c%d", i), path, depth, budget))
	}
	return n
}

func genChild(t *rapid.T, cfg genCfg, auto policy.AutoShutdown, name, parent string, depth int, budget *int) *Node {
	path := parent + "/" + name
	var n *Node
	if depth < cfg.depth && rapid.IntRange(0, 2).Draw(t, path+".is_sup") == 1 {
		n = genSup(t, cfg, name, path, depth+1, budget)
	} else {
		n = genLeaf(t, name, path)
	}
	fillChild(t, n, auto, path)
	return n
}

func genLeaf(t *rapid.T, name, path string) *Node {
	return &Node{Name: name, WaitReady: rapid.Bool().Draw(t, path+".wait_ready"), Live: rapid.Bool().Draw(t, path+".live")}
}

// fillChild draws the fields of n's Child spec.
func fillChild(t *rapid.T, n *Node, auto policy.AutoShutdown, path string) {
	n.Restart = policy.RestartType(rapid.IntRange(0, 2).Draw(t, path+".restart"))
	if auto != policy.Never && n.Restart != policy.Permanent {
		n.Significant = rapid.Bool().Draw(t, path+".significant")
	}
	if rapid.IntRange(0, 3).Draw(t, path+".own_backoff") == 1 {
		b := genBackoff(t, path+".child_backoff")
		n.Backoff = &b
	}
}

func genTree(t *rapid.T, cfg genCfg) *Node {
	budget := cfg.nodes
	return genSup(t, cfg, "root", "root", 0, &budget)
}

var advances = []time.Duration{ms(1), ms(2), ms(5), ms(10), ms(30), ms(100), time.Second}

var exitWeights = []Exit{ExitFail, ExitFail, ExitFail, ExitFail, ExitNormal, ExitNormal, ExitPanic, ExitNoRestart, ExitEscalate, ExitHang, ExitHang}

// step draws and applies one event to h, returning its description.
func step(t *rapid.T, h *harness, cfg genCfg, serial *int) (string, error) {
	dice := rapid.IntRange(0, 99).Draw(t, "action")
	leaves := h.m.ExitableLeaves()
	free := h.m.Sups() // running supervisors, for Add, Remove and Restart
	kind := "advance"
	switch {
	case dice < 75-cfg.dynamics:
		if len(leaves) > 0 {
			kind = "exit"
		}
	case dice >= 100-cfg.dynamics:
		if len(free) > 0 {
			kind = "dynamic"
		}
	}
	switch kind {
	case "advance":
		d := rapid.SampledFrom(advances).Draw(t, "advance")
		h.advance(d)
		return fmt.Sprintf("advance %v", d), nil
	case "exit":
		path := rapid.SampledFrom(leaves).Draw(t, "leaf")
		how := rapid.SampledFrom(exitWeights).Draw(t, "exit")
		if _, c := h.m.find(path); how == ExitHang && !c.Spec.Live {
			how = ExitFail // only a leaf with a liveness deadline can be found hung
		}
		return fmt.Sprintf("exit %s %v", path, how), h.exit(path, how)
	}
	s := free[rapid.IntRange(0, len(free)-1).Draw(t, "sup")]
	if op := rapid.IntRange(0, 2).Draw(t, "op"); op > 0 && len(s.Children) > 0 {
		c := s.Children[rapid.IntRange(0, len(s.Children)-1).Draw(t, "child")]
		if op == 1 {
			return fmt.Sprintf("remove %s", c.Path), h.remove(s.Path, c.Name)
		}
		return fmt.Sprintf("restart %s", c.Path), h.restart(s.Path, c.Name)
	}
	*serial++
	n := &Node{Name: fmt.Sprintf("d%d", *serial), WaitReady: rapid.Bool().Draw(t, "wait_ready"), Live: rapid.Bool().Draw(t, "live")}
	fillChild(t, n, s.Spec.Auto, s.Path+"/"+n.Name)
	return fmt.Sprintf("add %s/%s %+v", s.Path, n.Name, *n), h.add(s.Path, n)
}
