package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

// tdArn is a task definition ARN the operator reported, in the caller's
// account and region (the namespace's account ID may differ from the
// operator's).
func tdArn(c *awsapi.Caller, arn string) string {
	r, err := names.ParseTaskDefinition(arn)
	if err != nil || r.Revision == 0 {
		return arn
	}
	return c.Account.TaskDefinitionArn(r.Family, r.Revision)
}

// revisionStatus is a revision's ECS status.
func revisionStatus(rev *ecsv1alpha1.TaskDefinitionRevision) ecswire.TaskDefinitionStatus {
	switch {
	case !rev.DeletionTimestamp.IsZero() || rev.Status.Status == ecsv1alpha1.TaskDefinitionDeleteInProgress:
		return ecswire.TaskDefinitionStatusDeleteInProgress
	case rev.Status.Status == ecsv1alpha1.TaskDefinitionInactive:
		return ecswire.TaskDefinitionStatusInactive
	}
	return ecswire.TaskDefinitionStatusActive
}

// revisionShape is a revision as DescribeTaskDefinition shows it.
func revisionShape(c *awsapi.Caller, rev *ecsv1alpha1.TaskDefinitionRevision) *ecswire.TaskDefinition {
	out := &ecswire.TaskDefinition{}
	_ = convert(&rev.Spec.RegisterTaskDefinitionInput, out)
	// ECS converts cpu and memory at registration (".25 vCPU" → "256");
	// the revision's spec keeps the form the caller sent.
	out.Cpu, out.Memory = translate.NormalizedTaskSize(rev.Spec.Cpu, rev.Spec.Memory)
	out.Revision = rev.Spec.Revision
	out.TaskDefinitionArn = c.Account.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision)
	out.Status = revisionStatus(rev)
	out.RegisteredAt = awsjson.At(rev.CreationTimestamp.Time)
	out.DeregisteredAt = at(rev.Status.DeregisteredAt)
	if rev.DeletionTimestamp != nil {
		out.DeleteRequestedAt = at(rev.DeletionTimestamp)
	}
	out.Compatibilities = []ecswire.Compatibility{ecswire.CompatibilityEc2}
	if rev.Spec.NetworkMode == ecsv1alpha1.NetworkModeAwsvpc && rev.Spec.Cpu != "" && rev.Spec.Memory != "" {
		out.Compatibilities = append(out.Compatibilities, ecswire.CompatibilityFargate)
	}
	return out
}

func tagsOf(tags []ecsv1alpha1.Tag) []ecswire.Tag {
	out := []ecswire.Tag{}
	for _, t := range tags {
		out = append(out, ecswire.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// revisions lists the namespace's revisions, by family and number.
func revisions(ctx context.Context, c *awsapi.Caller) ([]ecsv1alpha1.TaskDefinitionRevision, error) {
	var list ecsv1alpha1.TaskDefinitionRevisionList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := &list.Items[i].Spec, &list.Items[j].Spec
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		return a.Revision < b.Revision
	})
	return list.Items, nil
}

// findRevision resolves family, family:revision or an ARN: a bare family is
// its latest ACTIVE revision. nil when there is none.
func findRevision(ctx context.Context, c *awsapi.Caller, ref string) (*ecsv1alpha1.TaskDefinitionRevision, error) {
	r, err := names.ParseTaskDefinition(ref)
	if err != nil {
		return nil, notFound(ClientException, "Invalid revision number. Number: %s", ref)
	}
	revs, err := revisions(ctx, c)
	if err != nil {
		return nil, err
	}
	var found *ecsv1alpha1.TaskDefinitionRevision
	for i := range revs {
		rev := &revs[i]
		if rev.Spec.Family != r.Family {
			continue
		}
		if r.Revision != 0 && rev.Spec.Revision == r.Revision {
			return rev, nil
		}
		if r.Revision == 0 && revisionStatus(rev) == ecswire.TaskDefinitionStatusActive {
			found = rev
		}
	}
	return found, nil
}

// family returns the TaskDefinition object that holds family, nil when
// there is none.
func family(ctx context.Context, c *awsapi.Caller, fam string) (*ecsv1alpha1.TaskDefinition, error) {
	var list ecsv1alpha1.TaskDefinitionList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var found *ecsv1alpha1.TaskDefinition
	for i := range list.Items {
		td := &list.Items[i]
		if td.Spec.Family != fam || !td.DeletionTimestamp.IsZero() {
			continue
		}
		// The oldest claimant holds the family (the TaskDefinition controller's rule).
		if found == nil || td.CreationTimestamp.Before(&found.CreationTimestamp) ||
			(td.CreationTimestamp.Equal(&found.CreationTimestamp) && td.Name < found.Name) {
			found = td
		}
	}
	return found, nil
}

// familyObjectName is the object name of a family registered through the
// API: ObjectName(family), with a hash when families differ only in case.
func familyObjectName(fam string, taken bool) string {
	n := names.ObjectName(fam)
	if len(n) > 240 || taken {
		sum := sha256.Sum256([]byte(fam))
		n = strings.TrimRight(n[:min(len(n), 240)], "-") + "-" + hex.EncodeToString(sum[:])[:8]
	}
	return n
}

func (h *handlers) registerTaskDefinition(ctx context.Context, in *ecswire.RegisterTaskDefinitionRequest) (*ecswire.RegisterTaskDefinitionResponse, error) {
	c := caller(ctx)
	var spec ecsv1alpha1.RegisterTaskDefinitionInput
	if err := convert(in, &spec); err != nil {
		return nil, invalidParameter("%v", err)
	}
	if err := h.checkRegistration(&spec); err != nil {
		return nil, err
	}
	token := strings.ReplaceAll(string(uuid.NewUUID()), "-", "")
	var td *ecsv1alpha1.TaskDefinition
	var prev *ecsv1alpha1.TaskDefinitionSpec // what an update replaced; nil: created
	err := wait.PollUntilContextTimeout(ctx, h.o.Poll, h.o.Wait, true, func(ctx context.Context) (bool, error) {
		var err error
		td, err = family(ctx, c, spec.Family)
		if err != nil {
			return false, err
		}
		prev = nil
		if td == nil {
			td = &ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: familyObjectName(spec.Family, false)}}
			td.Spec.RegisterTaskDefinitionInput = spec
			td.Spec.Registration = token
			err = c.Client.Create(ctx, td)
			if apierrors.IsAlreadyExists(err) {
				// Another family of the same object name ("Web" and "web").
				td.Name = familyObjectName(spec.Family, true)
				td.ResourceVersion = ""
				err = c.Client.Create(ctx, td)
			}
		} else {
			// Another call's definition not registered yet would be lost
			// if this one replaced it: wait for it first.
			if pendingRegistration(td) {
				return false, nil
			}
			prev = td.Spec.DeepCopy()
			td.Spec.RegisterTaskDefinitionInput = spec
			td.Spec.Registration = token
			err = c.Client.Update(ctx, td) // resourceVersion: optimistic lock
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return err == nil, invalid(err, ClientException)
	})
	if wait.Interrupted(err) {
		return nil, notFound(ClientException, "another registration of family %s is still in progress; retry", spec.Family)
	}
	if err != nil {
		return nil, err
	}
	rev, refused, err := h.waitRegistered(ctx, c, td, token)
	if refused {
		var ae *awsjson.Error
		if werr := withdraw(ctx, c, td, prev, token); werr != nil && errors.As(err, &ae) {
			ae.Message += fmt.Sprintf(" (the definition could not be withdrawn and stays stored as TaskDefinition %s: %v)", td.Name, werr)
		}
	}
	if err != nil {
		return nil, err
	}
	return &ecswire.RegisterTaskDefinitionResponse{TaskDefinition: revisionShape(c, rev), Tags: tagsOf(rev.Spec.Tags)}, nil
}

// checkRegistration refuses a definition ECS would refuse, with ECS's
// message where Berth knows it.
func (h *handlers) checkRegistration(spec *ecsv1alpha1.RegisterTaskDefinitionInput) error {
	// A request over 64 KiB is refused before anything in it is read.
	if err := translate.CheckTaskDefinitionLength(spec); err != nil {
		return notFound(ClientException, "%s", err.Error())
	}
	if spec.Family == "" {
		return notFound(ClientException, "Family is required.")
	}
	if len(spec.ContainerDefinitions) == 0 {
		return notFound(ClientException, "Container list cannot be empty.")
	}
	// ECS's own messages for a cpu or memory it cannot read.
	if _, err := translate.NormalizeTaskCPU(spec.Cpu); err != nil {
		return notFound(ClientException, "%s", err.Error())
	}
	if _, err := translate.NormalizeTaskMemory(spec.Memory); err != nil {
		return notFound(ClientException, "%s", err.Error())
	}
	if _, err := translate.ReportWith(spec, h.o.Features); err != nil {
		return notFound(ClientException, "%s", strings.TrimPrefix(err.Error(), "ClientException: "))
	}
	return nil
}

// withdraw undoes a registration the operator refused (Pod Security, a
// definition it cannot run), as ECS stores nothing it refuses: the
// TaskDefinition this call created is deleted, one it updated gets its
// previous definition back, as the caller (who needs delete and update
// on taskdefinitions: the berth-ecs-user role has them). A later call's
// registration is left alone.
func withdraw(ctx context.Context, c *awsapi.Caller, td *ecsv1alpha1.TaskDefinition, prev *ecsv1alpha1.TaskDefinitionSpec, token string) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := &ecsv1alpha1.TaskDefinition{}
		if err := c.Client.Get(ctx, client.ObjectKeyFromObject(td), cur); err != nil || cur.Spec.Registration != token {
			return client.IgnoreNotFound(err)
		}
		if prev == nil {
			return client.IgnoreNotFound(c.Client.Delete(ctx, cur, client.Preconditions{UID: &cur.UID, ResourceVersion: &cur.ResourceVersion}))
		}
		cur.Spec = *prev
		return c.Client.Update(ctx, cur) // resourceVersion: optimistic lock
	})
	if err != nil {
		logf.FromContext(ctx).Error(err, "Could not withdraw a refused task definition", "taskDefinition", klog.KObj(td))
	}
	return err
}

// waitRegistered waits until the TaskDefinition controller has registered
// the revision of token, or refused the definition (refused: the error is
// the controller's refusal).
func (h *handlers) waitRegistered(ctx context.Context, c *awsapi.Caller, td *ecsv1alpha1.TaskDefinition, token string) (*ecsv1alpha1.TaskDefinitionRevision, bool, error) {
	var rev *ecsv1alpha1.TaskDefinitionRevision
	var refused error
	err := wait.PollUntilContextTimeout(ctx, h.o.Poll, h.o.Wait, true, func(ctx context.Context) (bool, error) {
		var list ecsv1alpha1.TaskDefinitionRevisionList
		if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingLabels{ecsv1alpha1.LabelTaskDefinition: td.Name}); err != nil {
			return false, err
		}
		for i := range list.Items {
			if list.Items[i].Annotations[ecsv1alpha1.AnnotationRegistration] == token {
				rev = &list.Items[i]
				return true, nil
			}
		}
		cur := &ecsv1alpha1.TaskDefinition{}
		if err := c.Client.Get(ctx, client.ObjectKeyFromObject(td), cur); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		if s := meta.FindStatusCondition(cur.Status.Conditions, ecsv1alpha1.ConditionStalled); cur.Spec.Registration == token &&
			s != nil && s.Status == metav1.ConditionTrue && s.ObservedGeneration == cur.Generation {
			refused = notFound(ClientException, "%s", s.Message)
			return true, nil
		}
		return false, nil
	})
	if refused != nil {
		return nil, true, refused
	}
	if err != nil {
		// A client error, so that SDKs do not retry: a retry would
		// register the definition once more when the operator catches up.
		return nil, false, notFound(ClientException, "the task definition was stored as TaskDefinition %s but no revision was registered within %s: is the Berth operator running?", td.Name, h.o.Wait)
	}
	return rev, false, nil
}

// pendingRegistration tells whether the operator has yet to act on td's
// current spec (register it, or refuse it): replacing the spec now would
// lose another call's definition.
func pendingRegistration(td *ecsv1alpha1.TaskDefinition) bool {
	return td.Spec.Registration != "" && td.Status.ObservedGeneration < td.Generation
}

func (h *handlers) describeTaskDefinition(ctx context.Context, in *ecswire.DescribeTaskDefinitionRequest) (*ecswire.DescribeTaskDefinitionResponse, error) {
	c := caller(ctx)
	rev, err := findRevision(ctx, c, in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if rev == nil {
		return nil, notFound(ClientException, "Unable to describe task definition.")
	}
	out := &ecswire.DescribeTaskDefinitionResponse{TaskDefinition: revisionShape(c, rev)}
	if slices.Contains(in.Include, ecswire.TaskDefinitionFieldTags) {
		out.Tags = tagsOf(rev.Spec.Tags)
	}
	return out, nil
}

func (h *handlers) listTaskDefinitions(ctx context.Context, in *ecswire.ListTaskDefinitionsRequest) (*ecswire.ListTaskDefinitionsResponse, error) {
	c := caller(ctx)
	revs, err := revisions(ctx, c)
	if err != nil {
		return nil, err
	}
	status := in.Status
	if status == "" {
		status = ecswire.TaskDefinitionStatusActive
	}
	// Keys that sort as ECS lists: by family, then revision number.
	var keys, arns []string
	for i := range revs {
		rev := &revs[i]
		if !strings.HasPrefix(rev.Spec.Family, in.FamilyPrefix) || revisionStatus(rev) != status {
			continue
		}
		keys = append(keys, fmt.Sprintf("%s\x00%010d", rev.Spec.Family, rev.Spec.Revision))
		arns = append(arns, c.Account.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision))
	}
	cmp := strings.Compare
	if in.Sort == ecswire.SortOrderDesc {
		slices.Reverse(keys)
		slices.Reverse(arns)
		cmp = func(a, b string) int { return strings.Compare(b, a) }
	}
	from, to, next, err := pageBy(keys, in.MaxResults, 100, in.NextToken, cmp)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListTaskDefinitionsResponse{TaskDefinitionArns: nonNil(arns[from:to]), NextToken: next}, nil
}

func (h *handlers) listTaskDefinitionFamilies(ctx context.Context, in *ecswire.ListTaskDefinitionFamiliesRequest) (*ecswire.ListTaskDefinitionFamiliesResponse, error) {
	c := caller(ctx)
	revs, err := revisions(ctx, c)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	all := map[string]bool{}
	for i := range revs {
		f := revs[i].Spec.Family
		if !strings.HasPrefix(f, in.FamilyPrefix) {
			continue
		}
		all[f] = true
		if revisionStatus(&revs[i]) == ecswire.TaskDefinitionStatusActive {
			active[f] = true
		}
	}
	var fams []string
	for f := range all {
		switch in.Status {
		case ecswire.TaskDefinitionFamilyStatusActive:
			if !active[f] {
				continue
			}
		case ecswire.TaskDefinitionFamilyStatusInactive:
			if active[f] {
				continue
			}
		}
		fams = append(fams, f)
	}
	sort.Strings(fams)
	from, to, next, err := page(fams, in.MaxResults, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListTaskDefinitionFamiliesResponse{Families: nonNil(fams[from:to]), NextToken: next}, nil
}

func (h *handlers) deregisterTaskDefinition(ctx context.Context, in *ecswire.DeregisterTaskDefinitionRequest) (*ecswire.DeregisterTaskDefinitionResponse, error) {
	c := caller(ctx)
	r, err := names.ParseTaskDefinition(in.TaskDefinition)
	if err != nil || r.Revision == 0 {
		return nil, notFound(ClientException, "Invalid revision number. Number: %s", in.TaskDefinition)
	}
	rev, err := findRevision(ctx, c, in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if rev == nil {
		return nil, notFound(ClientException, "The specified task definition does not exist.")
	}
	td := &ecsv1alpha1.TaskDefinition{}
	owner := metav1.GetControllerOf(rev)
	if owner == nil {
		return nil, notFound(ClientException, "The specified task definition does not exist.")
	}
	err = wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: owner.Name}, td); err != nil {
			return false, err
		}
		if slices.Contains(td.Spec.DeregisteredRevisions, r.Revision) {
			return true, nil
		}
		td.Spec.DeregisteredRevisions = append(td.Spec.DeregisteredRevisions, r.Revision)
		err := c.Client.Update(ctx, td)
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	out := revisionShape(c, rev)
	if out.Status == ecswire.TaskDefinitionStatusActive {
		out.Status = ecswire.TaskDefinitionStatusInactive
		out.DeregisteredAt = awsjson.At(time.Now())
	}
	return &ecswire.DeregisterTaskDefinitionResponse{TaskDefinition: out}, nil
}

// deleteTaskDefinitions deletes INACTIVE revisions: each revision object is
// deleted and stays DELETE_IN_PROGRESS while a service or task uses it
// (its finalizer, docs/lifecycle.md), as in ECS.
func (h *handlers) deleteTaskDefinitions(ctx context.Context, in *ecswire.DeleteTaskDefinitionsRequest) (*ecswire.DeleteTaskDefinitionsResponse, error) {
	c := caller(ctx)
	if len(in.TaskDefinitions) == 0 {
		return nil, invalidParameter("taskDefinitions can not be empty.")
	}
	if len(in.TaskDefinitions) > 10 {
		return nil, invalidParameter("taskDefinitions can have at most 10 items.")
	}
	out := &ecswire.DeleteTaskDefinitionsResponse{TaskDefinitions: []ecswire.TaskDefinition{}}
	for _, ref := range in.TaskDefinitions {
		r, err := names.ParseTaskDefinition(ref)
		if err != nil || r.Revision == 0 {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: ref, Reason: "The specified task definition identifier is invalid. Specify a valid name or ARN with a revision."})
			continue
		}
		arn := c.Account.TaskDefinitionArn(r.Family, r.Revision)
		rev, err := findRevision(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		if rev == nil {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: arn, Reason: "The specified task definition does not exist."})
			continue
		}
		if revisionStatus(rev) == ecswire.TaskDefinitionStatusActive {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: arn, Reason: "The specified task definition is ACTIVE. Deregister it before you delete it."})
			continue
		}
		if rev.DeletionTimestamp.IsZero() {
			if err := c.Client.Delete(ctx, rev, client.Preconditions{UID: &rev.UID}); err != nil && !apierrors.IsNotFound(err) {
				return nil, err
			}
		}
		shape := revisionShape(c, rev)
		shape.Status = ecswire.TaskDefinitionStatusDeleteInProgress
		if shape.DeleteRequestedAt == nil {
			shape.DeleteRequestedAt = awsjson.At(time.Now())
		}
		out.TaskDefinitions = append(out.TaskDefinitions, *shape)
	}
	return out, nil
}
