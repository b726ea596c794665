package capacity

import (
	"reflect"
	"strings"
	"testing"
)

var (
	fargateSpot = []Item{{Name: "FARGATE", Base: 1, Weight: 1}, {Name: "FARGATE_SPOT", Weight: 4}}
	workshop    = []Item{{Name: "OD", Base: 2, Weight: 1}, {Name: "SPOT", Weight: 3}}
)

func TestSplitWorkedExamples(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int32
		items []Item
		want  []int32
	}{
		// ecs-semantics.md §1.12.
		{"FARGATE base 1 w1 + SPOT w4, 6 tasks", 6, fargateSpot, []int32{2, 4}},
		{"FARGATE base 1 w1 + SPOT w4, 10 tasks: remainder to the largest fraction (1.8 > 7.2's .2)", 10, fargateSpot, []int32{3, 7}},
		{"ECS workshop: OD base 2 w1 + SPOT w3, 2 tasks all on OD", 2, workshop, []int32{2, 0}},
		{"ECS workshop: OD base 2 w1 + SPOT w3, 6 tasks", 6, workshop, []int32{3, 3}},
		{"ECS workshop: OD base 2 w1 + SPOT w3, 10 tasks", 10, workshop, []int32{4, 6}},
		{"fewer tasks than the base", 1, []Item{{Name: "A", Weight: 1}, {Name: "B", Base: 3, Weight: 1}}, []int32{0, 1}},
		{"zero tasks", 0, fargateSpot, []int32{0, 0}},
		{"a lone provider of weight 0 takes every task", 5, []Item{{Name: "A"}}, []int32{5}},
		{"a weight-0 provider beside others gets only its base", 7, []Item{{Name: "A", Base: 2}, {Name: "B", Weight: 1}}, []int32{2, 5}},
		{"tied fractions: the larger weight wins", 3, []Item{{Name: "A", Weight: 1}, {Name: "B", Weight: 3}, {Name: "C", Weight: 2}}, []int32{0, 2, 1}},
		{"tied fractions and weights: the first listed wins", 1, []Item{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}, []int32{1, 0}},
		{"equal weights, 5 over 3", 5, []Item{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}, {Name: "C", Weight: 1}}, []int32{2, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateStrategy(tc.items); err != nil {
				t.Fatalf("ValidateStrategy: %v", err)
			}
			if got := Split(tc.n, tc.items); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Split(%d) = %v, want %v", tc.n, got, tc.want)
			}
		})
	}
}

func TestSplitProperties(t *testing.T) {
	strategies := [][]Item{
		fargateSpot, workshop,
		{{Name: "A", Weight: 3}, {Name: "B", Weight: 5}, {Name: "C", Base: 4, Weight: 7}},
		{{Name: "A", Weight: 1000}, {Name: "B", Weight: 1}, {Name: "C"}},
		{{Name: "A"}},
	}
	for _, items := range strategies {
		for n := int32(0); n <= 200; n++ {
			got := Split(n, items)
			var sum int32
			for i, c := range got {
				sum += c
				if c < 0 {
					t.Fatalf("%v n=%d: negative count %v", items, n, got)
				}
				if items[i].Base > 0 && c < min(items[i].Base, n) {
					t.Fatalf("%v n=%d: base of %s not met: %v", items, n, items[i].Name, got)
				}
				if items[i].Weight == 0 && items[i].Base == 0 && len(items) > 1 && c != 0 {
					t.Fatalf("%v n=%d: weight-0 provider %s got tasks: %v", items, n, items[i].Name, got)
				}
			}
			if sum != n {
				t.Fatalf("%v n=%d: counts %v sum to %d", items, n, got, sum)
			}
			if !reflect.DeepEqual(got, Split(n, items)) {
				t.Fatalf("Split is not deterministic")
			}
		}
	}
}

func TestRebalanceMovesFewestTasks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		current []int32
		n       int32
		items   []Item
		want    []int32
	}{
		{"first placement equals the split", []int32{0, 0}, 6, fargateSpot, []int32{2, 4}},
		{"scale out 6 → 10 adds 1 and 3, moves none", []int32{2, 4}, 10, fargateSpot, []int32{3, 7}},
		{"scale in 10 → 6 removes from the item furthest above its target", []int32{3, 7}, 6, fargateSpot, []int32{2, 4}},
		{"scale in to 0", []int32{3, 7}, 0, fargateSpot, []int32{0, 0}},
		{"scale in never takes the base", []int32{2, 0}, 1, workshop, []int32{1, 0}},
		{"counts that already sum to n stay (no rebalancing of running tasks)", []int32{6, 0}, 6, fargateSpot, []int32{6, 0}},
		{"scale out from off-target counts fills the furthest below first", []int32{6, 0}, 8, fargateSpot, []int32{6, 2}},
		{"scale in from off-target counts", []int32{6, 2}, 5, fargateSpot, []int32{3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Rebalance(tc.current, tc.n, tc.items)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Rebalance(%v, %d) = %v, want %v", tc.current, tc.n, got, tc.want)
			}
		})
	}
	// Property: one step of scaling moves exactly |Δn| tasks.
	items := []Item{{Name: "A", Weight: 3}, {Name: "B", Weight: 5}, {Name: "C", Base: 4, Weight: 7}}
	cur := Split(0, items)
	for _, n := range []int32{1, 5, 17, 16, 40, 3, 3, 100, 0} {
		next := Rebalance(cur, n, items)
		var moved, sum int32
		for i := range next {
			d := next[i] - cur[i]
			if d < 0 {
				d = -d
			}
			moved += d
			sum += next[i]
		}
		var was int32
		for _, c := range cur {
			was += c
		}
		if want := n - was; moved != max(want, -want) || sum != n {
			t.Fatalf("Rebalance(%v, %d) = %v: moved %d tasks, want %d", cur, n, next, moved, max(want, -want))
		}
		cur = next
	}
}

func TestValidateStrategy(t *testing.T) {
	for _, tc := range []struct {
		items []Item
		want  string
	}{
		{nil, ""},
		{[]Item{{Name: "A"}}, ""},
		{[]Item{{Name: "A", Base: 1}, {Name: "B", Base: 1, Weight: 1}}, "only one capacity provider with a base"},
		{[]Item{{Name: "A", Base: 1}, {Name: "B"}}, "at least one capacity provider with a weight greater than zero"},
		{[]Item{{Name: "A", Weight: 1}, {Name: "A", Weight: 1}}, "names A more than once"},
	} {
		err := ValidateStrategy(tc.items)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ValidateStrategy(%v) = %v, want %q", tc.items, err, tc.want)
		}
	}
}
