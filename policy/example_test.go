package policy_test

import (
	"fmt"
	"time"

	"github.com/arbor-go/arbor/policy"
)

func ExampleWindow() {
	w := policy.NewWindow(policy.Intensity{MaxRestarts: 2, Period: 10 * time.Second})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []int{0, 1, 10, 11} {
		now := start.Add(time.Duration(s) * time.Second)
		allowed := w.Allow(now)
		fmt.Printf("failure at %2ds: restart %-5v (%d in window)\n", s, allowed, w.Count(now))
	}
	// Output:
	// failure at  0s: restart true  (1 in window)
	// failure at  1s: restart true  (2 in window)
	// failure at 10s: restart false (2 in window)
	// failure at 11s: restart true  (2 in window)
}

func ExampleBackoff_Delay() {
	b := policy.Backoff{Initial: time.Second, Multiplier: 2, Max: 10 * time.Second}
	for k := range 6 {
		fmt.Println(k, b.Delay(k, 0))
	}

	// With Jitter 0.5 the delay lies in [d, 1.5d); r in [0, 1) picks where.
	b.Jitter = 0.5
	fmt.Println(b.Delay(0, 0), b.Delay(0, 0.5), b.Delay(5, 0.5))
	// Output:
	// 0 1s
	// 1 2s
	// 2 4s
	// 3 8s
	// 4 10s
	// 5 10s
	// 1s 1.25s 12.5s
}

func ExampleStrategy_Plan() {
	names := []string{"db", "cache", "job", "api"}
	members := []policy.Member{
		{Type: policy.Permanent, Alive: true},
		{Type: policy.Permanent, Alive: false}, // cache failed
		{Type: policy.Temporary, Alive: true},
		{Type: policy.Permanent, Alive: true},
	}
	show := func(idx []int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, names[i])
		}
		return out
	}
	for _, s := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		p := s.Plan(members, 1)
		fmt.Printf("%-12s stop %v, remove %v, start %v\n", s, show(p.Stop), show(p.Remove), show(p.Start))
	}
	// Output:
	// one_for_one  stop [], remove [], start [cache]
	// one_for_all  stop [api job db], remove [job], start [db cache api]
	// rest_for_one stop [api job], remove [job], start [cache api]
}
