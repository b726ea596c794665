// Package ecs serves the Amazon ECS API over Berth's objects: each operation
// reads or writes Clusters, TaskDefinitions, Services and Tasks in the
// caller's namespace, as the caller (impersonation), and answers in the
// model's shapes with what ECS would answer at that moment.
package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/translate"
)

// ECS's exceptions, as the model names them.
const (
	ClientException           = "ClientException"
	InvalidParameterException = "InvalidParameterException"
	ClusterNotFoundException  = "ClusterNotFoundException"
	ServiceNotFoundException  = "ServiceNotFoundException"
	ServiceNotActiveException = "ServiceNotActiveException"
	ResourceNotFoundException = "ResourceNotFoundException"
	ClusterContainsServices   = "ClusterContainsServicesException"
	ClusterContainsTasks      = "ClusterContainsTasksException"
	ResourceInUseException    = "ResourceInUseException"
	UnsupportedFeature        = "UnsupportedFeatureException"
	ConflictException         = "ConflictException"
	// ServiceDeploymentNotFoundException is StopServiceDeployment's
	// answer for a service deployment that does not exist.
	ServiceDeploymentNotFoundException = "ServiceDeploymentNotFoundException"
)

// API is the ECS API's description for the endpoint.
func API(h *ecswire.Handlers) awsapi.API {
	return awsapi.API{
		TargetPrefix: ecswire.TargetPrefix,
		SigningName:  ecswire.SigningName,
		Handler:      h.Handler,
		Unsupported: func(op string) *awsjson.Error {
			return awsjson.Errorf(UnsupportedFeature, "Berth does not serve %s: see docs/ecs-api.md for the operations it serves", op)
		},
	}
}

// Options configure the handlers.
type Options struct {
	// Features are the cluster's features, for the checks RegisterTaskDefinition makes.
	Features translate.Features
	// Wait bounds how long an operation waits for a controller's answer (the
	// revision number of RegisterTaskDefinition); 0 is 20 s.
	Wait time.Duration
	// Poll is the interval of those waits; 0 is 100 ms.
	Poll time.Duration
}

type handlers struct {
	o Options
}

// New returns the ECS handlers.
func New(o Options) *ecswire.Handlers {
	if o.Wait == 0 {
		o.Wait = 20 * time.Second
	}
	if o.Poll == 0 {
		o.Poll = 100 * time.Millisecond
	}
	h := &handlers{o: o}
	return &ecswire.Handlers{
		CreateCluster:               h.createCluster,
		DescribeClusters:            h.describeClusters,
		ListClusters:                h.listClusters,
		DeleteCluster:               h.deleteCluster,
		RegisterTaskDefinition:      h.registerTaskDefinition,
		DescribeTaskDefinition:      h.describeTaskDefinition,
		ListTaskDefinitions:         h.listTaskDefinitions,
		ListTaskDefinitionFamilies:  h.listTaskDefinitionFamilies,
		DeregisterTaskDefinition:    h.deregisterTaskDefinition,
		CreateService:               h.createService,
		DescribeServices:            h.describeServices,
		ListServices:                h.listServices,
		UpdateService:               h.updateService,
		DeleteService:               h.deleteService,
		RunTask:                     h.runTask,
		DescribeTasks:               h.describeTasks,
		ListTasks:                   h.listTasks,
		StopTask:                    h.stopTask,
		PutClusterCapacityProviders: h.putClusterCapacityProviders,
		TagResource:                 h.tagResource,
		UntagResource:               h.untagResource,
		ListTagsForResource:         h.listTagsForResource,
		DescribeCapacityProviders:   h.describeCapacityProviders,
		CreateCapacityProvider:      h.createCapacityProvider,
		UpdateCapacityProvider:      h.updateCapacityProvider,
		DeleteCapacityProvider:      h.deleteCapacityProvider,
		ListContainerInstances:      h.listContainerInstances,
		DescribeContainerInstances:  h.describeContainerInstances,
		UpdateCluster:               h.updateCluster,
		UpdateClusterSettings:       h.updateClusterSettings,
		DeleteTaskDefinitions:       h.deleteTaskDefinitions,
		ListServiceDeployments:      h.listServiceDeployments,
		DescribeServiceDeployments:  h.describeServiceDeployments,
		DescribeServiceRevisions:    h.describeServiceRevisions,
		StopServiceDeployment:       h.stopServiceDeployment,
	}
}

// convert copies in to out through JSON: the ECS model and Berth's specs
// share member names, so a request becomes a spec (and a spec a response)
// member for member.
func convert(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// invalid turns the API server's refusal of an object (its OpenAPI and CEL
// validation: ECS's own rules, with ECS's messages) into the exception ECS
// answers with.
func invalid(err error, exception string) error {
	if !apierrors.IsInvalid(err) {
		return err
	}
	var st apierrors.APIStatus
	msg := err.Error()
	if ok := asStatus(err, &st); ok {
		if d := st.Status().Details; d != nil && len(d.Causes) > 0 {
			msg = ""
			for i, c := range d.Causes {
				if i > 0 {
					msg += "; "
				}
				msg += c.Field + ": " + c.Message
			}
		}
	}
	return awsjson.Errorf(exception, "%s", msg)
}

func asStatus(err error, st *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus) //nolint:errorlint // the client returns *StatusError unwrapped
	if ok {
		*st = s
	}
	return ok
}

// at is a Kubernetes time as a model timestamp.
func at(t *metav1.Time) *awsjson.Timestamp {
	if t == nil {
		return nil
	}
	return awsjson.At(t.Time)
}

// caller returns the request's caller; handlers are only called by the
// server, which always sets one.
func caller(ctx context.Context) *awsapi.Caller {
	c := awsapi.CallerFrom(ctx)
	if c == nil {
		panic("ecs: handler called without a caller")
	}
	return c
}

// missing is ECS's failure entry for a resource that does not exist.
func missing(arn string) ecswire.Failure {
	return ecswire.Failure{Arn: arn, Reason: "MISSING"}
}

func notFound(typ, format string, args ...any) error {
	return &awsjson.Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}
