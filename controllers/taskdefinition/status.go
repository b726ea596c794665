package taskdefinition

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

// DefaultRevisionHistoryLimit is how many revisions stay ACTIVE by default.
const DefaultRevisionHistoryLimit = 10

// Reasons specific to task definitions.
const (
	// ReasonFamilyConflict: another TaskDefinition already owns the family.
	ReasonFamilyConflict = "FamilyConflict"
	// ReasonRevisionRegistered: the spec is registered as a revision.
	ReasonRevisionRegistered = ecsv1alpha1.ReasonRevisionRegistered
)

// SpecHash is the content hash of a task definition: its canonical JSON
// (struct field order, sorted map keys). Identical specs hash identically,
// so a re-apply registers no new revision.
func SpecHash(spec *ecsv1alpha1.RegisterTaskDefinitionInput) string {
	b, err := json.Marshal(spec)
	if err != nil {
		panic(err) // plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

func setStalled(td *ecsv1alpha1.TaskDefinition, reason, msg string) {
	conditions.Summarize(&td.Status.Conditions, td.Generation, conditions.Stalled, reason, msg)
	td.Status.ObservedGeneration = td.Generation
}

func setRegistered(td *ecsv1alpha1.TaskDefinition, number int32, name string, active int32, acct names.Account, notes []translate.Note) {
	td.Status.Revision = number
	td.Status.TaskDefinitionArn = acct.TaskDefinitionArn(td.Spec.Family, number)
	td.Status.LatestRevisionName = name
	td.Status.ActiveRevisions = active
	td.Status.Cpu, td.Status.Memory = translate.NormalizedTaskSize(td.Spec.Cpu, td.Spec.Memory)
	setSupported(td, notes)
	conditions.Summarize(&td.Status.Conditions, td.Generation, conditions.Ready, ReasonRevisionRegistered,
		fmt.Sprintf("Registered as %s:%d (%d ACTIVE revisions)", td.Spec.Family, number, active))
	td.Status.ObservedGeneration = td.Generation
}

func setRevisionStatus(rev *ecsv1alpha1.TaskDefinitionRevision, active bool, acct names.Account, f translate.Features, now time.Time) {
	rev.Status.TaskDefinitionArn = acct.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision)
	// As ECS describes it ("256" for ".25 vCPU"); the spec keeps the user's form.
	rev.Status.Cpu, rev.Status.Memory = translate.NormalizedTaskSize(rev.Spec.Cpu, rev.Spec.Memory)
	notes, _ := translate.ReportWith(&rev.Spec.RegisterTaskDefinitionInput, f)
	rev.Status.FieldNotes = FieldNotes(notes)
	setFidelityCondition(&rev.Status.Conditions, rev.Generation, notes)
	rev.Status.ObservedGeneration = rev.Generation
	if active {
		rev.Status.Status = ecsv1alpha1.TaskDefinitionActive
		conditions.Summarize(&rev.Status.Conditions, rev.Generation, conditions.Ready, "Active", "The revision is ACTIVE")
		return
	}
	if rev.Status.Status != ecsv1alpha1.TaskDefinitionInactive {
		rev.Status.Status = ecsv1alpha1.TaskDefinitionInactive
		t := metav1.NewTime(now)
		rev.Status.DeregisteredAt = &t
	}
	conditions.Summarize(&rev.Status.Conditions, rev.Generation, conditions.Ready, "Inactive",
		"The revision is INACTIVE: running services keep it, but it cannot be newly used")
}

// setSupported reports the fields of the current spec (the latest
// revision) Berth approximates or does not support, so that none is dropped
// silently. It does not affect Ready.
func setSupported(td *ecsv1alpha1.TaskDefinition, notes []translate.Note) {
	td.Status.FieldNotes = FieldNotes(notes)
	setFidelityCondition(&td.Status.Conditions, td.Generation, notes)
}

func setFidelityCondition(conds *[]metav1.Condition, gen int64, notes []translate.Note) {
	if len(notes) == 0 {
		conditions.Set(conds, gen, ecsv1alpha1.ConditionFullySupported, true, ecsv1alpha1.ReasonSucceeded,
			"Berth honours every field of this task definition exactly")
		return
	}
	reason, msg := FidelityMessage(notes)
	conditions.Set(conds, gen, ecsv1alpha1.ConditionFullySupported, false, reason, msg)
}

// FieldNotes bounds notes to what the status holds: at most 256, paths
// and messages cut to the schema's lengths.
func FieldNotes(notes []translate.Note) []ecsv1alpha1.FieldNote {
	var res []ecsv1alpha1.FieldNote
	for _, n := range notes {
		if len(res) == 256 {
			break
		}
		res = append(res, ecsv1alpha1.FieldNote{Path: truncate(n.Path, 512), Level: n.Level, Message: truncate(n.Message, 1024)})
	}
	return res
}

// FidelityMessage summarises notes: how many fields are approximated and
// which are not supported.
func FidelityMessage(notes []translate.Note) (reason, msg string) {
	var approx int
	var unsupported []string
	for _, n := range notes {
		if n.Level == translate.Unsupported {
			unsupported = append(unsupported, n.Path)
		} else {
			approx++
		}
	}
	reason = ecsv1alpha1.ReasonFieldsApproximated
	var parts []string
	if len(unsupported) > 0 {
		reason = ecsv1alpha1.ReasonUnsupportedFields
		parts = append(parts, fmt.Sprintf("%d not supported (stored without effect): %s", len(unsupported), strings.Join(unsupported, ", ")))
	}
	if approx > 0 {
		parts = append(parts, fmt.Sprintf("%d approximated", approx))
	}
	return reason, truncate(strings.Join(parts, "; ")+" (status.fieldNotes says how; docs/compatibility.md lists every field)", 32768)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
