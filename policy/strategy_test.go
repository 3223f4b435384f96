package policy_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/arbor-go/arbor/policy"
)

var (
	perm  = policy.Member{Type: policy.Permanent, Alive: true}
	tran  = policy.Member{Type: policy.Transient, Alive: true}
	temp  = policy.Member{Type: policy.Temporary, Alive: true}
	permX = policy.Member{Type: policy.Permanent} // not alive
	tranX = policy.Member{Type: policy.Transient} // exited normally, not alive
	tempX = policy.Member{Type: policy.Temporary} // ended, not yet removed
)

func TestPlan(t *testing.T) {
	five := []policy.Member{perm, perm, perm, perm, perm}
	// 0 alive permanent, 1 alive temporary, 2 transient that exited normally,
	// 3 temporary that already ended, 4 alive permanent.
	mixed := []policy.Member{perm, temp, tranX, tempX, perm}
	tests := []struct {
		s       policy.Strategy
		members []policy.Member
		failed  int
		want    policy.Plan
	}{
		{policy.OneForOne, five, 0, policy.Plan{Start: []int{0}}},
		{policy.OneForOne, five, 2, policy.Plan{Start: []int{2}}},
		{policy.OneForOne, five, 4, policy.Plan{Start: []int{4}}},
		{policy.OneForOne, mixed, 2, policy.Plan{Start: []int{2}}},
		{policy.OneForOne, []policy.Member{perm}, 0, policy.Plan{Start: []int{0}}},

		{policy.OneForAll, five, 0, policy.Plan{Stop: []int{4, 3, 2, 1}, Start: []int{0, 1, 2, 3, 4}}},
		{policy.OneForAll, five, 2, policy.Plan{Stop: []int{4, 3, 1, 0}, Start: []int{0, 1, 2, 3, 4}}},
		{policy.OneForAll, five, 4, policy.Plan{Stop: []int{3, 2, 1, 0}, Start: []int{0, 1, 2, 3, 4}}},
		{policy.OneForAll, []policy.Member{perm}, 0, policy.Plan{Start: []int{0}}},
		{policy.OneForAll, mixed, 0, policy.Plan{Stop: []int{4, 1}, Remove: []int{3, 1}, Start: []int{0, 2, 4}}},
		{policy.OneForAll, mixed, 2, policy.Plan{Stop: []int{4, 1, 0}, Remove: []int{3, 1}, Start: []int{0, 2, 4}}},
		{policy.OneForAll, mixed, 4, policy.Plan{Stop: []int{1, 0}, Remove: []int{3, 1}, Start: []int{0, 2, 4}}},
		// Non-temporary members that are not alive are started, not stopped.
		{policy.OneForAll, []policy.Member{permX, tran, tranX, perm}, 3, policy.Plan{Stop: []int{1}, Start: []int{0, 1, 2, 3}}},
		{policy.OneForAll, []policy.Member{tempX, tempX, perm, tempX}, 2, policy.Plan{Remove: []int{3, 1, 0}, Start: []int{2}}},

		{policy.RestForOne, five, 0, policy.Plan{Stop: []int{4, 3, 2, 1}, Start: []int{0, 1, 2, 3, 4}}},
		{policy.RestForOne, five, 2, policy.Plan{Stop: []int{4, 3}, Start: []int{2, 3, 4}}},
		{policy.RestForOne, five, 4, policy.Plan{Start: []int{4}}},
		{policy.RestForOne, mixed, 0, policy.Plan{Stop: []int{4, 1}, Remove: []int{3, 1}, Start: []int{0, 2, 4}}},
		{policy.RestForOne, mixed, 2, policy.Plan{Stop: []int{4}, Remove: []int{3}, Start: []int{2, 4}}},
		{policy.RestForOne, mixed, 4, policy.Plan{Start: []int{4}}},
		// Members before the failed one are untouched, alive or not.
		{policy.RestForOne, []policy.Member{temp, tranX, perm, tempX, tranX, temp}, 2, policy.Plan{Stop: []int{5}, Remove: []int{5, 3}, Start: []int{2, 4}}},
		{policy.RestForOne, []policy.Member{perm, tran, permX, perm}, 1, policy.Plan{Stop: []int{3}, Start: []int{1, 2, 3}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%v/%d", tt.s, tt.members, tt.failed), func(t *testing.T) {
			got := tt.s.Plan(tt.members, tt.failed)
			if !slices.Equal(got.Stop, tt.want.Stop) {
				t.Errorf("Stop = %v, want %v", got.Stop, tt.want.Stop)
			}
			if !slices.Equal(got.Remove, tt.want.Remove) {
				t.Errorf("Remove = %v, want %v", got.Remove, tt.want.Remove)
			}
			if !slices.Equal(got.Start, tt.want.Start) {
				t.Errorf("Start = %v, want %v", got.Start, tt.want.Start)
			}
		})
	}
}

func TestPlanFailedOutOfRange(t *testing.T) {
	for _, s := range []policy.Strategy{policy.OneForOne, policy.OneForAll, policy.RestForOne} {
		for _, tc := range []struct {
			members []policy.Member
			failed  int
		}{{nil, 0}, {[]policy.Member{perm}, 1}, {[]policy.Member{perm, perm}, -1}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%v.Plan(%d members, %d) did not panic", s, len(tc.members), tc.failed)
					}
				}()
				s.Plan(tc.members, tc.failed)
			}()
		}
	}
}

// checkPlan verifies the properties every plan must have, and that it is
// complete: every member the strategy touches is accounted for.
func checkPlan(t *testing.T, s policy.Strategy, members []policy.Member, failed int, p policy.Plan) {
	t.Helper()
	first := 0 // first member the strategy touches
	switch s {
	case policy.OneForOne:
		first = len(members)
	case policy.RestForOne:
		first = failed
	}
	var stop, remove, start []int
	for i := len(members) - 1; i >= first; i-- {
		if i == failed {
			continue
		}
		if members[i].Alive {
			stop = append(stop, i)
		}
		if members[i].Type == policy.Temporary {
			remove = append(remove, i)
		}
	}
	for i := min(first, failed); i < len(members); i++ {
		if i == failed || (i >= first && members[i].Type != policy.Temporary) {
			start = append(start, i)
		}
	}
	for i := 1; i < len(p.Stop); i++ {
		if p.Stop[i] >= p.Stop[i-1] {
			t.Fatalf("Stop %v not strictly descending", p.Stop)
		}
	}
	for _, i := range p.Stop {
		if i == failed || !members[i].Alive {
			t.Fatalf("Stop %v holds %d (failed %d, alive %v)", p.Stop, i, failed, members[i].Alive)
		}
	}
	for i := 1; i < len(p.Start); i++ {
		if p.Start[i] <= p.Start[i-1] {
			t.Fatalf("Start %v not strictly ascending", p.Start)
		}
	}
	if !slices.Contains(p.Start, failed) {
		t.Fatalf("Start %v misses the failed child %d", p.Start, failed)
	}
	for _, i := range p.Start {
		if i != failed && members[i].Type == policy.Temporary {
			t.Fatalf("Start %v holds temporary bystander %d", p.Start, i)
		}
	}
	for _, i := range p.Remove {
		if i == failed || members[i].Type != policy.Temporary || slices.Contains(p.Start, i) {
			t.Fatalf("Remove %v holds %d (type %v, failed %d)", p.Remove, i, members[i].Type, failed)
		}
	}
	if !slices.Equal(p.Stop, stop) || !slices.Equal(p.Start, start) || !slices.Equal(p.Remove, remove) {
		t.Fatalf("%v.Plan(%v, %d) = %+v, want {Stop:%v Remove:%v Start:%v}", s, members, failed, p, stop, remove, start)
	}
}

// FuzzPlan builds members from bytes (low two bits: restart type, bit 2:
// alive) and checks the plan's properties.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{4, 4, 4, 4, 4}, 2, uint8(1))
	f.Add([]byte{4, 6, 1, 2, 4}, 0, uint8(2))
	f.Add([]byte{6, 2, 4, 6}, 3, uint8(1))
	f.Add([]byte{4}, 0, uint8(0))
	f.Add([]byte{6, 6, 6, 6}, -5, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, failed int, strategy uint8) {
		if len(data) == 0 {
			return
		}
		if len(data) > 64 {
			data = data[:64]
		}
		members := make([]policy.Member, len(data))
		for i, b := range data {
			members[i] = policy.Member{Type: policy.RestartType(b & 3 % 3), Alive: b&4 != 0}
		}
		failed = int(uint(failed) % uint(len(members)))
		s := policy.Strategy(strategy % 3)
		checkPlan(t, s, members, failed, s.Plan(members, failed))
	})
}
