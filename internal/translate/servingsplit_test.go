package translate

import (
	"math"
	"testing"

	deploystrategy "github.com/berth-dev/berth/internal/strategy"
)

func weightsOf(blue, green int32) deploystrategy.Weights {
	return deploystrategy.Weights{Blue: blue, Green: green}
}

func TestServingSplit(t *testing.T) {
	for _, c := range []struct {
		name    string
		desired int32
		w       deploystrategy.Weights
		want    ServingTasks
	}{
		{"all blue", 4, deploystrategy.AllBlue, ServingTasks{Blue: 4}},
		{"all green", 4, deploystrategy.AllGreen, ServingTasks{Green: 4}},
		{"LINEAR 25% of 4", 4, weightsOf(750, 250), ServingTasks{Green: 1, Blue: 3}},
		{"LINEAR 50% of 4: every task serves", 4, weightsOf(500, 500), ServingTasks{Green: 4, Blue: 4}},
		{"LINEAR 75% of 4", 4, weightsOf(250, 750), ServingTasks{Green: 3, Blue: 1}},
		{"CANARY 10% of 10", 10, weightsOf(900, 100), ServingTasks{Green: 1, Blue: 9}},
		{"CANARY 10% of 4: one green, all blue (20%)", 4, weightsOf(900, 100), ServingTasks{Green: 1, Blue: 4}},
		{"CANARY 5% of 4: still one green", 4, weightsOf(950, 50), ServingTasks{Green: 1, Blue: 4}},
		{"CANARY 0.1% of 100", 100, weightsOf(999, 1), ServingTasks{Green: 1, Blue: 100}},
		{"99.9% of 100", 100, weightsOf(1, 999), ServingTasks{Green: 100, Blue: 1}},
		{"one task each way: 50/50", 1, weightsOf(900, 100), ServingTasks{Green: 1, Blue: 1}},
		{"one task, all green", 1, deploystrategy.AllGreen, ServingTasks{Green: 1}},
		{"a third of 10: the most endpoints of the exact splits", 10, weightsOf(2, 1), ServingTasks{Green: 5, Blue: 10}},
		{"30% of 10", 10, weightsOf(700, 300), ServingTasks{Green: 3, Blue: 7}},
		{"30% of 3: one of three", 3, weightsOf(700, 300), ServingTasks{Green: 1, Blue: 2}},
		{"weights need not add up to 1000", 4, weightsOf(3, 1), ServingTasks{Green: 1, Blue: 3}},
		{"no task", 0, weightsOf(500, 500), ServingTasks{}},
		{"negative desired", -1, weightsOf(500, 500), ServingTasks{}},
		{"both weights 0", 4, weightsOf(0, 0), ServingTasks{}},
		{"a negative weight counts as 0", 4, weightsOf(-5, 1000), ServingTasks{Green: 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ServingSplit(c.desired, c.w); got != c.want {
				t.Errorf("ServingSplit(%d, %v) = %+v, want %+v", c.desired, c.w, got, c.want)
			}
		})
	}
}

// TestServingSplitBounds checks the documented promises over every weight
// (in tenths) and desired counts 1 to 12: each revision has 1 to desired
// endpoints when its weight is not 0, at least desired in all, and the
// green share is within half a task's share of the weight wherever that
// weight lies between 1/desired and 1 - 1/desired; no split of those
// bounds is closer.
func TestServingSplitBounds(t *testing.T) {
	for desired := int32(1); desired <= 12; desired++ {
		for g := int32(1); g < deploystrategy.Whole; g++ {
			got := ServingSplit(desired, weightsOf(deploystrategy.Whole-g, g))
			if got.Green < 1 || got.Blue < 1 || got.Green > desired || got.Blue > desired || got.Green+got.Blue < desired {
				t.Fatalf("desired %d, green %d‰: %+v out of bounds", desired, g, got)
			}
			share := float64(got.Green) / float64(got.Green+got.Blue)
			want := float64(g) / float64(deploystrategy.Whole)
			errGot := math.Abs(share - want)
			if want >= 1/float64(desired) && want <= 1-1/float64(desired) && errGot > 1/(2*float64(desired))+1e-9 {
				t.Fatalf("desired %d, green %d‰: %+v is %.4f off", desired, g, got, errGot)
			}
			for gr := int32(1); gr <= desired; gr++ {
				for bl := max(1, desired-gr); bl <= desired; bl++ {
					if e := math.Abs(float64(gr)/float64(gr+bl) - want); e < errGot-1e-12 {
						t.Fatalf("desired %d, green %d‰: %+v is %.4f off, %d/%d only %.4f", desired, g, got, errGot, gr, bl, e)
					}
				}
			}
		}
	}
}
