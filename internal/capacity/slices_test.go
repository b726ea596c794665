package capacity

import (
	"reflect"
	"testing"
)

func TestPlanSlices(t *testing.T) {
	two := []Item{{Name: "FARGATE", Base: 1, Weight: 1}, {Name: "FARGATE_SPOT", Weight: 4}}
	for _, tc := range []struct {
		name string
		in   SliceInput
		want SlicePlan
	}{
		{"a single slice gets the service's bounds (as RolloutBounds)",
			SliceInput{Desired: 10, Items: []Item{{Name: "FARGATE"}}, Slices: []Slice{{Replicas: 10}}, MaxPercent: 150, MinPercent: 50},
			SlicePlan{Replicas: []int32{10}, Surge: []int32{5}, Unavailable: []int32{5}, Paused: []bool{false}, Retiring: []int32{}}},
		{"a single slice at 100/100 (deadlock): surge 1, not paused here",
			SliceInput{Desired: 1, Items: []Item{{Name: "A"}}, Slices: []Slice{{Replicas: 1, Rolling: true}}, MaxPercent: 100, MinPercent: 100},
			SlicePlan{Replicas: []int32{1}, Surge: []int32{1}, Unavailable: []int32{0}, Paused: []bool{false}, Retiring: []int32{}}},
		{"first placement of 6 over FARGATE base 1 + SPOT w4: 2 and 4",
			SliceInput{Desired: 6, Items: two, Slices: make([]Slice, 2), MaxPercent: 200, MinPercent: 100},
			SlicePlan{Replicas: []int32{2, 4}, Surge: []int32{2, 4}, Unavailable: []int32{0, 0}, Paused: []bool{false, false}, Retiring: []int32{}}},
		{"scaled to 10: 3 and 7",
			SliceInput{Desired: 10, Items: two, Slices: []Slice{{Replicas: 2, Pods: 2}, {Replicas: 4, Pods: 4}}, MaxPercent: 200, MinPercent: 100},
			SlicePlan{Replicas: []int32{3, 7}, Surge: []int32{3, 7}, Unavailable: []int32{0, 0}, Paused: []bool{false, false}, Retiring: []int32{}}},
		{"the bounds go to the rolling slices; a rolling slice with no share waits",
			SliceInput{Desired: 10, Items: two, Slices: []Slice{{Replicas: 3, Rolling: true}, {Replicas: 7, Rolling: true}}, MaxPercent: 110, MinPercent: 100},
			SlicePlan{Replicas: []int32{3, 7}, Surge: []int32{1, 1}, Unavailable: []int32{0, 0}, Paused: []bool{true, false}, Retiring: []int32{}}},
		{"a finished slice hands its share over",
			SliceInput{Desired: 10, Items: two, Slices: []Slice{{Replicas: 3, Rolling: true}, {Replicas: 7}}, MaxPercent: 110, MinPercent: 100},
			SlicePlan{Replicas: []int32{3, 7}, Surge: []int32{1, 1}, Unavailable: []int32{0, 0}, Paused: []bool{false, false}, Retiring: []int32{}}},
		{"150/50 over 10 tasks: 5 surge and 5 unavailable in proportion (ties of .5 to the larger slice)",
			SliceInput{Desired: 10, Items: two, Slices: []Slice{{Replicas: 3, Rolling: true}, {Replicas: 7, Rolling: true}}, MaxPercent: 150, MinPercent: 50},
			SlicePlan{Replicas: []int32{3, 7}, Surge: []int32{1, 4}, Unavailable: []int32{1, 4}, Paused: []bool{false, false}, Retiring: []int32{}}},
		{"a strategy change: the old Deployment keeps what minimumHealthyPercent needs, the new slices fill what maximumPercent leaves",
			SliceInput{Desired: 6, Items: two, Slices: []Slice{{Rolling: true}, {Rolling: true}}, Retiring: []Slice{{Replicas: 6, Pods: 6}}, MaxPercent: 150, MinPercent: 100},
			SlicePlan{Replicas: []int32{1, 2}, Surge: []int32{1, 2}, Unavailable: []int32{0, 0}, Paused: []bool{false, false}, Retiring: []int32{6}}},
		{"… and shrinks as the new tasks become available",
			SliceInput{Desired: 6, Items: two, Slices: []Slice{{Replicas: 1, Rolling: true}, {Replicas: 2, Rolling: true}}, Retiring: []Slice{{Replicas: 6, Pods: 6}}, NewAvailable: 3, MaxPercent: 150, MinPercent: 100},
			SlicePlan{Replicas: []int32{1, 2}, Surge: []int32{1, 2}, Unavailable: []int32{0, 0}, Paused: []bool{false, false}, Retiring: []int32{3}}},
		{"… until it is gone",
			SliceInput{Desired: 6, Items: two, Slices: []Slice{{Replicas: 1}, {Replicas: 2}}, Retiring: []Slice{{Replicas: 3, Pods: 3}}, NewAvailable: 3, MaxPercent: 150, MinPercent: 100},
			SlicePlan{Replicas: []int32{2, 4}, Surge: []int32{1, 2}, Unavailable: []int32{0, 0}, Paused: []bool{false, false}, Retiring: []int32{3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanSlices(tc.in)
			for i := range got.SurgeShare {
				placeholder := got.Surge[i] == 1 && got.Unavailable[i] == 0 && got.SurgeShare[i] == 0
				if got.SurgeShare[i] != got.Surge[i] && !placeholder {
					t.Errorf("slice %d: surge share %d, surge %d", i, got.SurgeShare[i], got.Surge[i])
				}
			}
			got.SurgeShare = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PlanSlices = %+v\nwant          %+v", got, tc.want)
			}
		})
	}
}
