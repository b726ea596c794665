// Package localrun prepares a local control plane for Berth: it installs
// the CRDs and the generated RBAC, creates the simulated node pools, and
// returns a rest.Config for Berth's own ServiceAccount. `make run` and the
// end-to-end tests use it.
package localrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/operator"
)

// Identity of the operator on the local control plane.
const (
	Namespace      = "berth-system"
	ServiceAccount = "berth-manager"
	// FieldOwner is the field manager of what localrun applies.
	FieldOwner = "berth-local"
)

// NodePools are the simulated node pools created up front: the EC2-style
// pool "ec2" (3 nodes; managed scaling adds more when its tasks need them).
// Its nodes carry the capacity-provider label and a taint, so that only
// tasks placed on the pool land there. The Fargate pools have no node up
// front: the operator creates one per task (provisioner kwok).
func NodePools() []localcp.NodePool {
	return []localcp.NodePool{
		Pool("ec2", 3, "8", "32Gi", "110"),
	}
}

// Pool is a simulated node pool for the capacity provider name: its nodes
// carry the capacity-provider label and the matching NoSchedule taint.
func Pool(name string, count int, cpu, mem, pods string) localcp.NodePool {
	return localcp.NodePool{
		Name:   name,
		Count:  count,
		Labels: map[string]string{ecsv1alpha1.LabelCapacityProvider: name},
		Taints: []corev1.Taint{{Key: ecsv1alpha1.LabelCapacityProvider, Value: name, Effect: corev1.TaintEffectNoSchedule}},
		CPU:    cpu, Memory: mem, Pods: pods,
	}
}

// Root is the repository root (the directory holding go.mod).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Bootstrap installs the CRDs and RBAC, creates the node pools (NodePools()
// when none are given), and returns the operator's (non-admin) rest.Config.
func Bootstrap(ctx context.Context, cp *localcp.ControlPlane, pools ...localcp.NodePool) (*rest.Config, error) {
	if len(pools) == 0 {
		pools = NodePools()
	}
	root, err := Root()
	if err != nil {
		return nil, err
	}
	admin := cp.AdminConfig()
	if _, err := envtest.InstallCRDs(admin, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfPathMissing: true,
	}); err != nil {
		return nil, fmt.Errorf("install CRDs: %w", err)
	}
	c, err := client.New(admin, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return nil, err
	}
	saCfg, err := cp.ServiceAccountConfig(ctx, Namespace, ServiceAccount)
	if err != nil {
		return nil, fmt.Errorf("service account: %w", err)
	}
	if err := installRBAC(ctx, c, filepath.Join(root, "config", "rbac", "role.yaml")); err != nil {
		return nil, err
	}
	if _, err := InstallAdmission(ctx, c); err != nil {
		return nil, err
	}
	for _, p := range pools {
		if err := cp.CreateNodes(ctx, p); err != nil {
			return nil, fmt.Errorf("node pool %s: %w", p.Name, err)
		}
	}
	return saCfg, nil
}

// InstallAdmission applies config/admission (the policy that adds the
// draining finalizer to a Service as it is created). It reports false,
// and no error, when the API server serves no MutatingAdmissionPolicy v1
// (Kubernetes before 1.36): the operator then adds the finalizer itself.
func InstallAdmission(ctx context.Context, c client.Client) (bool, error) {
	root, err := Root()
	if err != nil {
		return false, err
	}
	_, err = ApplyFile(ctx, c, filepath.Join(root, "config", "admission", "drain-finalizer.yaml"), "")
	if meta.IsNoMatchError(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// kube-apiserver's admission takes the policy up from its informer: a
	// dry-run create tells when it does.
	// (Until the Service CRD is served everywhere, the answer may be an
	// error.)
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		probe := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceDefault, Name: "berth-admission-probe"},
			Spec: ecsv1alpha1.ServiceSpec{CreateServiceInput: ecsv1alpha1.CreateServiceInput{TaskDefinition: "probe", DesiredCount: new(int32)}}}
		last = c.Create(ctx, probe, client.DryRunAll)
		return last == nil && len(probe.Finalizers) > 0, nil
	})
	if err != nil {
		return false, fmt.Errorf("admission policy config/admission not in effect: %w", errors.Join(err, last))
	}
	return true, nil
}

// installRBAC creates the generated ClusterRole and binds it to the
// operator's ServiceAccount.
func installRBAC(ctx context.Context, c client.Client, rolePath string) error {
	raw, err := os.ReadFile(rolePath)
	if err != nil {
		return err
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(bytes.TrimPrefix(raw, []byte("---\n")), role); err != nil {
		return fmt.Errorf("parse %s: %w", rolePath, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: Namespace, Name: ServiceAccount}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := c.Create(ctx, o); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// ApplyFile server-side-applies every object of a multi-document YAML file,
// in namespace ns when an object names none and is namespaced.
func ApplyFile(ctx context.Context, c client.Client, path, ns string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var applied []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return applied, nil
		} else if err != nil {
			return applied, fmt.Errorf("decode %s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetNamespace() == "" && u.GetKind() != "CapacityProvider" && u.GetKind() != "Namespace" {
			u.SetNamespace(ns)
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return applied, fmt.Errorf("apply %s %s from %s: %w", u.GetKind(), u.GetName(), path, err)
		}
		applied = append(applied, u)
	}
}

// ApplySamples applies config/samples/*.yaml in file-name order.
func ApplySamples(ctx context.Context, c client.Client, ns string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		if _, err := ApplyFile(ctx, c, f, ns); err != nil {
			return err
		}
	}
	return nil
}
