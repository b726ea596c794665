package translate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// withValue is a one-container definition whose one environment variable
// has value v.
func withValue(v string) *ecsv1alpha1.RegisterTaskDefinitionInput {
	return &ecsv1alpha1.RegisterTaskDefinitionInput{
		Family: "web",
		ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
			Name: "app", Image: "nginx", MemoryReservation: ptr.To[int32](64),
			Environment: []ecsv1alpha1.KeyValuePair{{Name: "PAD", Value: v}},
		}},
	}
}

// ECS accepts a definition of 65536 bytes and refuses one of 65537, with
// its message and the length.
func TestCheckTaskDefinitionLength(t *testing.T) {
	// (An empty value is left out, as a member not set: pad from one byte.)
	pad := MaxTaskDefinitionBytes - TaskDefinitionLength(withValue("x")) + 1
	atLimit := withValue(strings.Repeat("x", pad))
	if n := TaskDefinitionLength(atLimit); n != MaxTaskDefinitionBytes {
		t.Fatalf("length %d, want %d", n, MaxTaskDefinitionBytes)
	}
	if err := CheckTaskDefinitionLength(atLimit); err != nil {
		t.Errorf("65536 bytes: %v; ECS accepts it", err)
	}
	over := withValue(strings.Repeat("x", pad+1))
	err := CheckTaskDefinitionLength(over)
	var tooLarge *TaskDefinitionTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Length != MaxTaskDefinitionBytes+1 {
		t.Fatalf("65537 bytes: %v; want a *TaskDefinitionTooLargeError of length 65537", err)
	}
	if want := "Actual length: '65537'. Max allowed length is '65536' bytes."; err.Error() != want {
		t.Errorf("message %q, want ECS's %q", err, want)
	}
}

// The length is that of the compact JSON of the request, as an SDK sends
// it: no HTML escaping, multi-byte characters counted in bytes, members
// not set left out.
func TestTaskDefinitionLengthIsTheRequestBody(t *testing.T) {
	one := TaskDefinitionLength(withValue("x"))
	for value, bytes := range map[string]int{"<>&": 3, "é": 2, "日本": 6} {
		if got := TaskDefinitionLength(withValue("x"+value)) - one; got != bytes {
			t.Errorf("%q adds %d bytes, want %d", value, got, bytes)
		}
	}
	td := withValue("v")
	raw, err := json.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	if TaskDefinitionLength(td) != len(raw) {
		t.Errorf("length %d, compact JSON %d", TaskDefinitionLength(td), len(raw))
	}
	if strings.Contains(string(raw), `"volumes"`) || strings.Contains(string(raw), `"cpu"`) {
		t.Errorf("members not set are in the measured JSON: %s", raw)
	}
}
