package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

// fakeRegistrar plays the TaskDefinition controller: it registers the
// TaskDefinition's spec as revision 1, as it was written.
func fakeRegistrar(ctx context.Context, t *testing.T, c client.Client, ns string) {
	t.Helper()
	for ctx.Err() == nil {
		var list ecsv1alpha1.TaskDefinitionList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err == nil && len(list.Items) > 0 {
			td := &list.Items[0]
			rev := &ecsv1alpha1.TaskDefinitionRevision{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names.Revision(td.Name, 1),
					Labels:      map[string]string{ecsv1alpha1.LabelTaskDefinition: td.Name},
					Annotations: map[string]string{ecsv1alpha1.AnnotationRegistration: td.Spec.Registration}},
				Spec: ecsv1alpha1.TaskDefinitionRevisionSpec{RegisterTaskDefinitionInput: td.Spec.RegisterTaskDefinitionInput, Revision: 1},
			}
			if err := c.Create(ctx, rev); err != nil {
				t.Errorf("create revision: %v", err)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// RegisterTaskDefinition takes cpu and memory in every form ECS accepts and
// answers, as DescribeTaskDefinition and DescribeTasks do, with the integer
// strings ECS converts them to; the stored spec keeps the caller's form.
func TestRegisterTaskDefinitionNormalisesTaskSize(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = awsapi.WithCaller(ctx, &awsapi.Caller{Identity: awsapi.Identity{Namespace: "default"}, Client: c, Account: names.DefaultAccount})
	h := &handlers{o: Options{Wait: 5 * time.Second, Poll: 5 * time.Millisecond}}

	in := &ecswire.RegisterTaskDefinitionRequest{
		Family: "web", Cpu: ".25 vcpu", Memory: ".5 gb", NetworkMode: ecswire.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecswire.Compatibility{ecswire.CompatibilityFargate},
		ContainerDefinitions:    []ecswire.ContainerDefinition{{Name: "app", Image: "nginx"}},
	}
	go fakeRegistrar(ctx, t, c, "default")
	out, err := h.registerTaskDefinition(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.TaskDefinition; got.Cpu != "256" || got.Memory != "512" {
		t.Errorf("RegisterTaskDefinition: cpu %q memory %q; want 256 and 512", got.Cpu, got.Memory)
	}
	desc, err := h.describeTaskDefinition(ctx, &ecswire.DescribeTaskDefinitionRequest{TaskDefinition: "web:1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.TaskDefinition; got.Cpu != "256" || got.Memory != "512" {
		t.Errorf("DescribeTaskDefinition: cpu %q memory %q; want 256 and 512", got.Cpu, got.Memory)
	}
	var td ecsv1alpha1.TaskDefinition
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "web"}, &td); err != nil {
		t.Fatal(err)
	}
	if td.Spec.Cpu != ".25 vcpu" || td.Spec.Memory != ".5 gb" {
		t.Errorf("stored spec: cpu %q memory %q; want the caller's .25 vcpu and .5 gb", td.Spec.Cpu, td.Spec.Memory)
	}
}

// A cpu or memory ECS cannot read is refused with ECS's ClientException
// message, and nothing is stored.
func TestRegisterTaskDefinitionRefusesMalformedTaskSize(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	ctx := awsapi.WithCaller(context.Background(), &awsapi.Caller{Identity: awsapi.Identity{Namespace: "default"}, Client: c, Account: names.DefaultAccount})
	h := &handlers{o: Options{Wait: time.Second, Poll: 5 * time.Millisecond}}
	for _, tc := range []struct{ cpu, memory, want string }{
		{cpu: "1 cpu", memory: "512", want: translate.ErrTaskCPUMessage},
		{cpu: "256", memory: "512 MiB", want: translate.ErrTaskMemoryMessage},
	} {
		_, err := h.registerTaskDefinition(ctx, &ecswire.RegisterTaskDefinitionRequest{
			Family: "web", Cpu: tc.cpu, Memory: tc.memory,
			ContainerDefinitions: []ecswire.ContainerDefinition{{Name: "app", Image: "nginx"}},
		})
		var ae *awsjson.Error
		if !errors.As(err, &ae) || ae.Type != ClientException || ae.Message != tc.want {
			t.Errorf("cpu %q memory %q: %v; want ClientException %q", tc.cpu, tc.memory, err, tc.want)
		}
	}
	var list ecsv1alpha1.TaskDefinitionList
	if err := c.List(ctx, &list); err != nil || len(list.Items) != 0 {
		t.Errorf("%d TaskDefinitions stored (%v); want none", len(list.Items), err)
	}
}

// A definition over ECS's 64 KiB is refused as ECS refuses it, with
// ClientException "Actual length: '<n>'. Max allowed length is '65536'
// bytes.", and nothing is stored; one of 60 KiB passes the checks.
func TestRegisterTaskDefinitionRefusesOver64KiB(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	ctx := awsapi.WithCaller(context.Background(), &awsapi.Caller{Identity: awsapi.Identity{Namespace: "default"}, Client: c, Account: names.DefaultAccount})
	h := &handlers{o: Options{Wait: time.Second, Poll: 5 * time.Millisecond}}
	request := func(kib int) *ecswire.RegisterTaskDefinitionRequest {
		var env []ecswire.KeyValuePair
		for i := range kib {
			env = append(env, ecswire.KeyValuePair{Name: fmt.Sprintf("VAR_%03d", i), Value: strings.Repeat("x", 1000)})
		}
		return &ecswire.RegisterTaskDefinitionRequest{
			Family:               "web",
			ContainerDefinitions: []ecswire.ContainerDefinition{{Name: "app", Image: "nginx", MemoryReservation: ptr.To[int32](64), Environment: env}},
		}
	}

	_, err := h.registerTaskDefinition(ctx, request(70))
	var ae *awsjson.Error
	if !errors.As(err, &ae) || ae.Type != ClientException {
		t.Fatalf("70 KiB of environment: %v; want a ClientException", err)
	}
	var spec ecsv1alpha1.RegisterTaskDefinitionInput
	if err := convert(request(70), &spec); err != nil {
		t.Fatal(err)
	}
	n := translate.TaskDefinitionLength(&spec)
	if want := fmt.Sprintf("Actual length: '%d'. Max allowed length is '65536' bytes.", n); ae.Message != want || n <= 70*1000 {
		t.Errorf("message %q (length %d), want %q", ae.Message, n, want)
	}
	var list ecsv1alpha1.TaskDefinitionList
	if err := c.List(ctx, &list); err != nil || len(list.Items) != 0 {
		t.Errorf("%d TaskDefinitions stored (%v); want none", len(list.Items), err)
	}

	if err := convert(request(60), &spec); err != nil {
		t.Fatal(err)
	}
	if err := h.checkRegistration(&spec); err != nil {
		t.Errorf("60 KiB of environment: %v; ECS registers it", err)
	}
}
