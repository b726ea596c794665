package translate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// hugeTaskDefinition is as large a definition as the CRD admits in its
// lists of strings: 10 containers of 1000 environment variables of 1 KiB
// (about 10 MiB), each with long commands, labels and mount points.
func hugeTaskDefinition() *ecsv1alpha1.RegisterTaskDefinitionInput {
	td := &ecsv1alpha1.RegisterTaskDefinitionInput{Family: "huge", Cpu: "4096", Memory: "30720", NetworkMode: ecsv1alpha1.NetworkModeAwsvpc}
	td.Volumes = []ecsv1alpha1.Volume{{Name: "data"}}
	long := strings.Repeat("x", 1024)
	for c := range 10 {
		def := ecsv1alpha1.ContainerDefinition{
			Name: fmt.Sprintf("c%d", c), Image: "nginx", MemoryReservation: ptr.To[int32](64),
			Command:      []string{"sh", "-c", strings.Repeat("echo "+long+"; ", 64)},
			DockerLabels: map[string]string{},
			MountPoints:  []ecsv1alpha1.MountPoint{{SourceVolume: "data", ContainerPath: "/data/" + long[:200]}},
		}
		for i := range 1000 {
			def.Environment = append(def.Environment, ecsv1alpha1.KeyValuePair{Name: fmt.Sprintf("VAR_%04d", i), Value: long})
		}
		for i := range 100 {
			def.DockerLabels[fmt.Sprintf("label-%03d", i)] = long
		}
		td.ContainerDefinitions = append(td.ContainerDefinitions, def)
	}
	return td
}

// A definition of about 10 MiB translates, and is reported, without a
// panic and in seconds: the translation does not care how big its input
// is. (Registration refuses it: it is over ECS's 64 KiB.)
func TestTranslateHugeTaskDefinition(t *testing.T) {
	td := hugeTaskDefinition()
	start := time.Now()
	for _, p := range []Placement{{}, {LaunchType: ecsv1alpha1.LaunchTypeFargate}} {
		for _, kind := range []TaskKind{ServiceTask, StandaloneTask} {
			pt, err := TranslatePod(td, p, kind)
			if err != nil {
				t.Fatalf("%v %v: %v", p, kind, err)
			}
			if n := len(pt.Spec.Containers); n != 10 {
				t.Errorf("%v %v: %d containers, want 10", p, kind, n)
			}
		}
	}
	if _, err := Report(td); err != nil {
		t.Errorf("report: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("translating a 10 MiB definition four times took %v", d)
	}
	var tooLarge *TaskDefinitionTooLargeError
	if err := CheckTaskDefinitionLength(td); !errors.As(err, &tooLarge) || tooLarge.Length < 10<<20 {
		t.Errorf("registration check: %v; want a refusal of over 10 MiB", err)
	}
}

// JSON nested 10,000 deep, where the API server refuses it, is refused by
// the decoder a task definition goes through (no panic, no stack
// overflow); nested 5,000 deep in a member Berth does not know, it is
// dropped, and the rest translates.
func TestTranslateDeeplyNestedJSON(t *testing.T) {
	doc := func(depth int) []byte {
		return []byte(`{"family":"deep","containerDefinitions":[{"name":"app","image":"nginx","memoryReservation":64}],"unknownMember":` +
			strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
	}
	var td ecsv1alpha1.RegisterTaskDefinitionInput
	if err := json.Unmarshal(doc(10000), &td); err == nil || !strings.Contains(err.Error(), "exceeded max depth") {
		t.Errorf("10,000 deep: %v; want exceeded max depth", err)
	}
	td = ecsv1alpha1.RegisterTaskDefinitionInput{}
	if err := json.Unmarshal(doc(5000), &td); err != nil {
		t.Fatalf("5,000 deep in an unknown member: %v", err)
	}
	if _, err := TranslatePod(&td, Placement{}, ServiceTask); err != nil {
		t.Errorf("translation: %v", err)
	}
}
