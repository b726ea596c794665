package translate

import (
	"bytes"
	"encoding/json"
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// ECS refuses a RegisterTaskDefinition request over 64 KiB with a
// ClientException, "Actual length: '66420'. Max allowed length is '65536'
// bytes." (the CloudTrail errorMessage quoted in
// awsdocs/amazon-ecs-developer-guide pull request #149, which set the
// documented quota, "Task definition size", to 64 KiB). Berth refuses such
// a definition the same way, at registration: the TaskDefinition
// controller (Stalled, InvalidTaskDefinition, ECS's message, no revision)
// and the ECS API endpoint (that ClientException).
//
// What is measured: the definition as the body of the RegisterTaskDefinition
// request ECS would get, that is RegisterTaskDefinitionInput (every member
// of ECS's request, and nothing else: the TaskDefinition's Berth-only
// fields, revisionHistoryLimit, deregisteredRevisions and registration,
// are outside it) as compact JSON, members that are not set left out, as
// an AWS SDK leaves them out, and strings in UTF-8 without HTML escaping
// ('<' is one byte, as an SDK sends it). Member order and number formatting
// may differ from a given SDK's; neither changes the length by more than a
// few bytes. The stored spec's formatting (YAML, indentation) plays no
// part: two manifests of one definition have one length.

// MaxTaskDefinitionBytes is ECS's limit on a RegisterTaskDefinition request.
const MaxTaskDefinitionBytes = 65536

// TaskDefinitionLength is the length in bytes of td as a
// RegisterTaskDefinition request body (see above).
func TaskDefinitionLength(td *ecsv1alpha1.RegisterTaskDefinitionInput) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(td); err != nil {
		panic(err) // plain data
	}
	return buf.Len() - 1 // Encode's newline
}

// TaskDefinitionTooLargeError is ECS's refusal of a definition over
// MaxTaskDefinitionBytes.
type TaskDefinitionTooLargeError struct {
	// Length is the definition's length in bytes.
	Length int
}

// Error is ECS's ClientException message, word for word.
func (e *TaskDefinitionTooLargeError) Error() string {
	return fmt.Sprintf("Actual length: '%d'. Max allowed length is '%d' bytes.", e.Length, MaxTaskDefinitionBytes)
}

// CheckTaskDefinitionLength returns a *TaskDefinitionTooLargeError when td
// is longer than ECS accepts, nil otherwise.
func CheckTaskDefinitionLength(td *ecsv1alpha1.RegisterTaskDefinitionInput) error {
	if n := TaskDefinitionLength(td); n > MaxTaskDefinitionBytes {
		return &TaskDefinitionTooLargeError{Length: n}
	}
	return nil
}
