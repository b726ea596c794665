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

func setRegistered(td *ecsv1alpha1.TaskDefinition, latest *ecsv1alpha1.TaskDefinitionRevision, active int32, acct names.Account) {
	td.Status.Revision = latest.Spec.Revision
	td.Status.TaskDefinitionArn = acct.TaskDefinitionArn(td.Spec.Family, latest.Spec.Revision)
	td.Status.LatestRevisionName = latest.Name
	td.Status.ActiveRevisions = active
	setSupported(td)
	conditions.Summarize(&td.Status.Conditions, td.Generation, conditions.Ready, ReasonRevisionRegistered,
		fmt.Sprintf("Registered as %s:%d (%d ACTIVE revisions)", td.Spec.Family, latest.Spec.Revision, active))
	td.Status.ObservedGeneration = td.Generation
}

func setRevisionStatus(rev *ecsv1alpha1.TaskDefinitionRevision, active bool, acct names.Account, now time.Time) {
	rev.Status.TaskDefinitionArn = acct.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision)
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

// setSupported reports the members Berth accepts and stores but does not
// honour yet, so that none is dropped silently. It does not affect Ready.
func setSupported(td *ecsv1alpha1.TaskDefinition) {
	missing := translate.Unsupported(&td.Spec.RegisterTaskDefinitionInput)
	if len(missing) == 0 {
		conditions.Set(&td.Status.Conditions, td.Generation, ecsv1alpha1.ConditionFullySupported, true, ecsv1alpha1.ReasonSucceeded,
			"Berth honours every member of this task definition")
		return
	}
	conditions.Set(&td.Status.Conditions, td.Generation, ecsv1alpha1.ConditionFullySupported, false, ecsv1alpha1.ReasonUnsupportedFields,
		UnsupportedMessage(missing))
}

// UnsupportedMessage words the list of members Berth does not honour yet.
func UnsupportedMessage(missing []string) string {
	return fmt.Sprintf("Accepted and stored, but not honoured by Berth yet: %s (see README.md, \"What works today\")", strings.Join(missing, ", "))
}
