package hooks

import (
	"context"
	"fmt"
	"sort"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// MaxCleanup is how many Jobs one Cleanup deletes at most.
const MaxCleanup = 20

// Cleanup deletes the hook Jobs of a Service's deployments that are not in
// active (the deployments in progress, as the calling pass decided them,
// one it has just started included), running ones included (a hook of a
// deployment that ended has nothing left to decide): at most MaxCleanup,
// in the order of their names, with Background propagation (their pods go
// after them). more tells whether some are left for another call. A Job
// is deleted only if it is still the one listed (a UID precondition), and
// only if it is the Service's. Finished Jobs also go by themselves, after
// ttlSecondsAfterFinished.
func (r Runner) Cleanup(ctx context.Context, svc *ecsv1alpha1.Service, active []string) (deleted int, more bool, err error) {
	var list batchv1.JobList
	if err := r.Client.List(ctx, &list, client.InNamespace(svc.Namespace), client.MatchingLabels(Selector(svc.Name, ""))); err != nil {
		return 0, false, fmt.Errorf("list the hook Jobs of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	keep := map[string]bool{}
	for _, id := range active {
		keep[names.HookDeploymentLabel(id)] = true
	}
	jobs := list.Items
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	for i := range jobs {
		job := &jobs[i]
		if !ownedBy(job, svc) || job.DeletionTimestamp != nil || keep[job.Labels[LabelDeployment]] {
			continue
		}
		if deleted == MaxCleanup {
			return deleted, true, nil
		}
		err := r.Client.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground),
			client.Preconditions{UID: &job.UID})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue // gone, or another Job by that name now
		}
		if err != nil {
			return deleted, false, fmt.Errorf("delete hook Job %s/%s: %w", job.Namespace, job.Name, err)
		}
		deleted++
	}
	return deleted, false, nil
}
