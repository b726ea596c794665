package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// Hostile input: objects near the API server's and etcd's size limits,
// and JSON nested deeper than the API server decodes. Each gets an answer,
// quickly, and the API server keeps serving. They are sent as raw JSON:
// client-go itself refuses to encode JSON nested 10,000 deep.

// rawAnswer is the API server's answer to a raw request.
type rawAnswer struct {
	code   int
	status metav1.Status // the Status of a failure
}

// postRaw creates an object of resource (a plural of the group, in the
// validation namespace) from body, and deletes it after the test when it
// was created. It fails the test when no answer comes within 10 seconds.
func postRaw(t *testing.T, resource, name string, body []byte) rawAnswer {
	t.Helper()
	c, _ := testEnv(t)
	hc, err := rest.HTTPClientFor(shared.env.Config)
	if err != nil {
		t.Fatal(err)
	}
	hc.Timeout = 10 * time.Second
	url := fmt.Sprintf("%s/apis/%s/namespaces/%s/%s", strings.TrimSuffix(shared.env.Config.Host, "/"), GroupVersion, validationNamespace, resource)
	resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s (%d bytes): no answer: %v", resource, len(body), err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := rawAnswer{code: resp.StatusCode}
	if resp.StatusCode == http.StatusCreated {
		kind := map[string]string{"taskdefinitions": "TaskDefinition", "services": "Service"}[resource]
		deleteAfter(t, c, newObject(t, kind, validationNamespace, name, ""))
		return a
	}
	if err := json.Unmarshal(out, &a.status); err != nil {
		t.Fatalf("POST %s: %d, not a Status: %.300s", resource, resp.StatusCode, out)
	}
	return a
}

// taskDefinitionJSON is a TaskDefinition with one container; container
// holds more of the container's members (",\"environment\": [...]").
func taskDefinitionJSON(name, container string) []byte {
	return []byte(`{"apiVersion":"` + GroupVersion.String() + `","kind":"TaskDefinition","metadata":{"name":"` + name +
		`"},"spec":{"family":"hostile","containerDefinitions":[{"name":"app","image":"nginx","memoryReservation":64` + container + `}]}}`)
}

// environmentJSON is ",\"environment\": [...]" of 1000 variables, about
// size bytes in all.
func environmentJSON(size int) string {
	env := make([]map[string]string, 1000)
	for i := range env {
		env[i] = map[string]string{"name": fmt.Sprintf("V%03d", i), "value": strings.Repeat("x", size/1000)}
	}
	b, _ := json.Marshal(env)
	return `,"environment":` + string(b)
}

// TestValidationOversizedObjects: what answers a TaskDefinition near the
// limits. etcd (envtest's, at its default --max-request-bytes of 1.5 MiB)
// stores 1.4 MiB and refuses 1.6 MiB; the API server's etcd client sends
// at most 2 MiB; the API server reads at most 3 MiB of a request. Each is
// answered, none hangs, and the API server keeps serving. (Any of these
// over 64 KiB is refused by Berth itself, at registration, as ECS refuses
// it: controllers/taskdefinition's TestRefusesTaskDefinitionOver64KiB.)
func TestValidationOversizedObjects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		code    int
		message string // a part of the Status message
	}{
		{name: "big-1400k", size: 1400 << 10, code: http.StatusCreated},
		{name: "big-1600k", size: 1600 << 10, code: http.StatusInternalServerError, message: "etcdserver: request is too large"},
		{name: "big-2100k", size: 2100 << 10, code: http.StatusInternalServerError, message: "trying to send message larger than max"},
		{name: "big-3100k", size: 3100 << 10, code: http.StatusRequestEntityTooLarge, message: "Request entity too large: limit is 3145728"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			a := postRaw(t, "taskdefinitions", tc.name, taskDefinitionJSON(tc.name, environmentJSON(tc.size)))
			if a.code != tc.code || !strings.Contains(a.status.Message, tc.message) {
				t.Errorf("%d KiB: %d %q; want %d with %q", tc.size>>10, a.code, a.status.Message, tc.code, tc.message)
			}
			t.Logf("%d KiB answered %d in %v", tc.size>>10, a.code, time.Since(start).Round(time.Millisecond))
		})
	}
	if a := postRaw(t, "taskdefinitions", "after-big", taskDefinitionJSON("after-big", "")); a.code != http.StatusCreated {
		t.Errorf("after the oversized objects, a small one: %d %s", a.code, a.status.Message)
	}
}

// TestValidationDeeplyNested: JSON nested 10,000 deep is refused by the
// API server's decoder (BadRequest, "exceeded max depth") in an unknown
// field, in a map of strings (dockerLabels) and in the one free-form
// member a Berth spec has (a lifecycle hook's hookDetails); JSON nested
// 100 deep is stored in hookDetails, and refused with the field path in
// dockerLabels, whose values are strings.
func TestValidationDeeplyNested(t *testing.T) {
	arrays := func(depth int) string { return strings.Repeat("[", depth) + strings.Repeat("]", depth) }
	objects := func(depth int) string { return strings.Repeat(`{"a":`, depth) + `"x"` + strings.Repeat("}", depth) }
	service := func(name, details string) []byte {
		return []byte(`{"apiVersion":"` + GroupVersion.String() + `","kind":"Service","metadata":{"name":"` + name +
			`"},"spec":{"taskDefinition":"web","desiredCount":1,"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"arn:aws:lambda:us-east-1:123456789012:function:hook","lifecycleStages":["POST_SCALE_UP"],"hookDetails":{"a":` +
			details + `}}]}}}`)
	}
	for _, tc := range []struct {
		name, resource string
		body           []byte
	}{
		{"unknown-field", "taskdefinitions", taskDefinitionJSON("unknown-field", `,"unknownMember":`+arrays(10000))},
		{"docker-labels", "taskdefinitions", taskDefinitionJSON("docker-labels", `,"dockerLabels":`+objects(10000))},
		{"hook-details", "services", service("hook-details", arrays(10000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := postRaw(t, tc.resource, tc.name, tc.body)
			if a.code != http.StatusBadRequest || a.status.Reason != metav1.StatusReasonBadRequest || !strings.Contains(a.status.Message, "exceeded max depth") {
				t.Errorf("10,000 deep: %d %s %q; want 400 BadRequest, exceeded max depth", a.code, a.status.Reason, a.status.Message)
			}
		})
	}
	if a := postRaw(t, "services", "hook-details-100", service("hook-details-100", objects(100))); a.code != http.StatusCreated {
		t.Errorf("hookDetails 100 deep: %d %s; a free-form member takes it", a.code, a.status.Message)
	}
	a := postRaw(t, "taskdefinitions", "docker-labels-100", taskDefinitionJSON("docker-labels-100", `,"dockerLabels":`+objects(100)))
	expectCauses(t, apierrors.FromObject(&a.status),
		// (ruleMessage: before 1.35 the type is not repeated as the value.)
		cause{"spec.containerDefinitions[0].dockerLabels.a", ruleMessage(`Invalid value: "object": spec.containerDefinitions[0].dockerLabels.a in body must be of type string: "object"`)},
		rulesSkipped)
}
