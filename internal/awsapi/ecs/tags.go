package ecs

import (
	"context"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
)

// tagged is an object whose tags an ARN names: the object and its tags
// member; readOnly for kinds whose tags Berth cannot change (immutable
// revisions and tasks).
type tagged struct {
	obj      client.Object
	tags     *[]ecsv1alpha1.Tag
	readOnly string
}

// resource finds the object an ECS ARN names, in the caller's account.
func resource(ctx context.Context, c *awsapi.Caller, arn string) (*tagged, error) {
	prefix := "arn:aws:ecs:" + c.Account.Region + ":" + c.Account.AccountID + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	kind, id, _ := strings.Cut(rest, "/")
	if !ok || id == "" {
		return nil, invalidParameter("The ARN %q is not an ECS ARN of this account (%s) and region (%s).", arn, c.Account.AccountID, c.Account.Region)
	}
	find, ok := resourceKinds[kind]
	if !ok {
		return nil, invalidParameter("Berth does not tag %s resources.", kind)
	}
	t, err := find(ctx, c, id)
	if err == nil && t == nil {
		err = invalidParameter("The specified resource %s was not found.", arn)
	}
	return t, err
}

// resourceKinds find the object of an ARN's resource ID, by resource type;
// nil when there is none.
var resourceKinds = map[string]func(ctx context.Context, c *awsapi.Caller, id string) (*tagged, error){
	"cluster": func(ctx context.Context, c *awsapi.Caller, id string) (*tagged, error) {
		cl, err := getCluster(ctx, c, id)
		if err != nil || cl == nil {
			return nil, orNotFound(err, notFound(ClusterNotFoundException, "Cluster not found."))
		}
		return &tagged{obj: cl, tags: &cl.Spec.Tags}, nil
	},
	"service": func(ctx context.Context, c *awsapi.Caller, id string) (*tagged, error) {
		cluster, name, _ := strings.Cut(id, "/")
		svc, err := findService(ctx, c, cluster, name)
		if err != nil || svc == nil {
			return nil, orNotFound(err, notFound(ServiceNotFoundException, "Service not found."))
		}
		return &tagged{obj: svc, tags: &svc.Spec.Tags}, nil
	},
	"task": func(ctx context.Context, c *awsapi.Caller, id string) (*tagged, error) {
		cluster, tid, _ := strings.Cut(id, "/")
		found, _, err := findTasks(ctx, c, cluster, []string{tid})
		if err != nil || len(found) == 0 {
			return nil, err
		}
		return &tagged{obj: found[0], tags: &found[0].Spec.Tags, readOnly: "a task's tags are set by RunTask"}, nil
	},
	"task-definition": func(ctx context.Context, c *awsapi.Caller, id string) (*tagged, error) {
		rev, err := findRevision(ctx, c, id)
		if err != nil || rev == nil {
			return nil, err
		}
		return &tagged{obj: rev, tags: &rev.Spec.Tags, readOnly: "a revision is immutable: tag the family in its RegisterTaskDefinition input"}, nil
	},
	"capacity-provider": func(ctx context.Context, c *awsapi.Caller, id string) (*tagged, error) {
		var list ecsv1alpha1.CapacityProviderList
		if err := c.Client.List(ctx, &list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			if capacityProviderName(&list.Items[i]) == id {
				return &tagged{obj: &list.Items[i], tags: &list.Items[i].Spec.Tags}, nil
			}
		}
		return nil, nil
	},
}

func orNotFound(err, notFound error) error {
	if err != nil {
		return err
	}
	return notFound
}

func (h *handlers) listTagsForResource(ctx context.Context, in *ecswire.ListTagsForResourceRequest) (*ecswire.ListTagsForResourceResponse, error) {
	r, err := resource(ctx, caller(ctx), in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListTagsForResourceResponse{Tags: tagsOf(*r.tags)}, nil
}

// retag changes the tags of the object an ARN names, with an optimistic
// lock, retrying on conflicts.
func retag(ctx context.Context, c *awsapi.Caller, arn string, change func(*[]ecsv1alpha1.Tag)) error {
	return wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
		r, err := resource(ctx, c, arn)
		if err != nil {
			return false, err
		}
		if r.readOnly != "" {
			return false, invalidParameter("Berth cannot change the tags of %s: %s.", arn, r.readOnly)
		}
		change(r.tags)
		err = c.Client.Update(ctx, r.obj)
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, invalid(err, InvalidParameterException)
	})
}

func (h *handlers) tagResource(ctx context.Context, in *ecswire.TagResourceRequest) (*ecswire.TagResourceResponse, error) {
	err := retag(ctx, caller(ctx), in.ResourceArn, func(tags *[]ecsv1alpha1.Tag) {
		for _, t := range in.Tags {
			i := slices.IndexFunc(*tags, func(x ecsv1alpha1.Tag) bool { return x.Key == t.Key })
			if i >= 0 {
				(*tags)[i].Value = t.Value
			} else {
				*tags = append(*tags, ecsv1alpha1.Tag{Key: t.Key, Value: t.Value})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return &ecswire.TagResourceResponse{}, nil
}

func (h *handlers) untagResource(ctx context.Context, in *ecswire.UntagResourceRequest) (*ecswire.UntagResourceResponse, error) {
	err := retag(ctx, caller(ctx), in.ResourceArn, func(tags *[]ecsv1alpha1.Tag) {
		*tags = slices.DeleteFunc(*tags, func(x ecsv1alpha1.Tag) bool { return slices.Contains(in.TagKeys, x.Key) })
	})
	if err != nil {
		return nil, err
	}
	return &ecswire.UntagResourceResponse{}, nil
}
