package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localrun"
)

// verbs are every verb RBAC authorises on a resource.
var verbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// TestOperatorDeniedOutsideItsRole (R7) asks the API server's authorizer,
// for every resource it serves and every verb, whether the operator's
// ServiceAccount may: it may exactly what the generated ClusterRole and
// the leader-election Role grant, nothing else, and never anything on
// Secrets. Then it makes real requests outside the role and expects 403.
func TestOperatorDeniedOutsideItsRole(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	root, err := localrun.Root()
	Expect(err).NotTo(HaveOccurred())
	var cluster rbacv1.ClusterRole
	readYAML(t, filepath.Join(root, "config", "rbac", "role.yaml"), &cluster)
	var election rbacv1.Role
	readYAML(t, filepath.Join(root, "config", "rbac", "leader_election_role.yaml"), &election)
	for _, r := range append(slices.Clone(cluster.Rules), election.Rules...) {
		for _, s := range [][]string{r.APIGroups, r.Resources, r.Verbs} {
			Expect(s).NotTo(ContainElement("*"), "a wildcard in the operator's role: %+v", r)
		}
		Expect(r.Resources).NotTo(ContainElement("secrets"), "the operator's role names Secrets: %+v", r)
	}

	dc, err := discovery.NewDiscoveryClientForConfig(cp.AdminConfig())
	Expect(err).NotTo(HaveOccurred())
	lists, err := dc.ServerPreferredResources()
	Expect(err).NotTo(HaveOccurred())
	unthrottled := rest.CopyConfig(cp.AdminConfig())
	unthrottled.QPS, unthrottled.Burst = -1, 0
	kube, err := kubernetes.NewForConfig(unthrottled)
	Expect(err).NotTo(HaveOccurred())
	// What the authorizer allows a ServiceAccount of the same namespace
	// with no role of its own (discovery, self reviews, what the cluster's
	// default roles give every authenticated user) is the baseline: the
	// operator may exactly that plus its roles.
	nobody := "system:serviceaccount:" + localrun.Namespace + ":nobody"
	type check struct {
		group, resource, verb, namespace string
		want                             bool
	}
	var checks []check
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		Expect(err).NotTo(HaveOccurred())
		for _, res := range list.APIResources {
			for _, verb := range verbs {
				// Cluster-wide, and in the leader election's namespace.
				for _, namespace := range []string{"", localrun.Namespace} {
					if namespace != "" && !res.Namespaced {
						continue
					}
					want := grants(cluster.Rules, gv.Group, res.Name, verb) ||
						(namespace == localrun.Namespace && grants(election.Rules, gv.Group, res.Name, verb))
					checks = append(checks, check{gv.Group, res.Name, verb, namespace, want})
				}
			}
		}
	}
	allowedTo := func(user, group, resource, verb, namespace string) (bool, error) {
		review, err := kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + localrun.Namespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Group: group, Resource: resource, Verb: verb, Namespace: namespace},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return review.Status.Allowed, nil
	}
	var mu sync.Mutex
	allowed, denied, base := 0, 0, 0
	var wg sync.WaitGroup
	work := make(chan check)
	for range 8 {
		wg.Go(func() {
			for c := range work {
				got, err1 := allowedTo(operatorUser, c.group, c.resource, c.verb, c.namespace)
				everyone, err2 := allowedTo(nobody, c.group, c.resource, c.verb, c.namespace)
				mu.Lock()
				switch {
				case err1 != nil || err2 != nil:
					t.Errorf("access review of %s %s.%s: %v %v", c.verb, c.resource, c.group, err1, err2)
				case c.resource == "secrets" && got:
					t.Errorf("the operator may %s Secrets (namespace %q)", c.verb, c.namespace)
				case got != (c.want || everyone):
					t.Errorf("%s %s.%s (namespace %q): the authorizer says %v, the generated role %v (any ServiceAccount: %v)",
						c.verb, c.resource, c.group, c.namespace, got, c.want, everyone)
				case everyone:
					base++
				case got:
					allowed++
				default:
					denied++
				}
				mu.Unlock()
			}
		})
	}
	for _, c := range checks {
		work <- c
	}
	close(work)
	wg.Wait()
	figure(t, "R7", "%d (resource, verb, scope) checked against the authorizer: %d allowed by the operator's roles, %d denied, %d allowed to any ServiceAccount", len(checks), allowed, denied, base)
	Expect(denied).To(BeNumerically(">", 100))

	// Real requests as the operator, outside its role: 403 each.
	sa, err := client.New(saCfg, client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	for what, err := range map[string]error{
		"list Secrets":       sa.List(ctx, &corev1.SecretList{}),
		"list Secrets in ns": sa.List(ctx, &corev1.SecretList{}, client.InNamespace(ns)),
		"get a Secret":       sa.Get(ctx, client.ObjectKey{Namespace: ns, Name: "anything"}, &corev1.Secret{}),
		"create a Secret":    sa.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "r7"}}),
		"create a Namespace": sa.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "r7"}}),
		"delete a Namespace": sa.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}),
		"create a ClusterRoleBinding": sa.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "r7"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: localrun.Namespace, Name: localrun.ServiceAccount}}}),
		"list ConfigMaps": sa.List(ctx, &corev1.ConfigMapList{}),
		"update a Node":   sa.Update(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "r7"}}),
		"write a TaskDefinition's spec": sa.Create(ctx, &ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "r7"},
			Spec: ecsv1alpha1.TaskDefinitionSpec{RegisterTaskDefinitionInput: ecsv1alpha1.RegisterTaskDefinitionInput{Family: "r7"}}}),
	} {
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s as the operator: %v", what, err)
	}
}

// grants tells whether rules allow verb on group/resource (no wildcards:
// the test refuses them first).
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(bytes.TrimPrefix(raw, []byte("---\n")), into)).To(Succeed())
}

// TestSecretValueNeverLeaks (R9) runs a service and a task whose task
// definition takes a secret from a Secrets Manager ARN (a Kubernetes
// Secret's key), stops the task, and then looks for the Secret's value
// (raw and base64) in everything the operator wrote or said: its logs,
// every Event, every object in the namespace but the Secret itself, and
// the audit log of the operator's requests with their bodies.
func TestSecretValueNeverLeaks(t *testing.T) {
	RegisterTestingT(t)
	ensureBase(t)
	ctx := context.Background()
	p := startOperator(t, "r9", procOptions{})
	sentinel := "berth-sentinel-" + rand.String(16)
	secret := &corev1.Secret{ObjectMeta: objectMeta("db-password"), StringData: map[string]string{"value": sentinel}}
	Expect(admin.Create(ctx, secret)).To(Succeed())

	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: objectMeta("r9")}
	td.Spec.Family = "r9"
	td.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{
		Name: "app", Image: "public.ecr.aws/example/app:1", Essential: ptr.To(true), MemoryReservation: ptr.To[int32](32),
		Secrets:     []ecsv1alpha1.Secret{{Name: "DB_PASSWORD", ValueFrom: "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-password"}},
		HealthCheck: &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}, Interval: ptr.To[int32](5), Retries: ptr.To[int32](1)},
	}}
	Expect(admin.Create(ctx, td)).To(Succeed())
	task := &ecsv1alpha1.Task{ObjectMeta: objectMeta("r9")}
	task.Spec.TaskDefinition = "r9"
	Expect(admin.Create(ctx, task)).To(Succeed())
	Expect(admin.Create(ctx, newService("r9", "r9", 1))).To(Succeed())
	expectTaskRunning(t, "r9")
	expectServiceSteady(t, "r9", 1, "1")
	stopTask(t, "r9", "reliability: done")
	expectTaskStopped(t, "r9", "reliability: done")
	// The pods do reference the Secret (by name): the kubelet reads it.
	Eventually(func(g Gomega) {
		var pods corev1.PodList
		g.Expect(admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: "r9"})).To(Succeed())
		g.Expect(pods.Items).NotTo(BeEmpty())
		g.Expect(pods.Items[0].Spec.Containers[0].Env).To(ContainElement(HaveField("ValueFrom.SecretKeyRef.Name", "db-password")))
	}).WithTimeout(timeout).Should(Succeed())
	p.stop(t)

	needles := []string{sentinel, base64.StdEncoding.EncodeToString([]byte(sentinel))}
	leaks := func(where string, raw []byte) {
		for _, n := range needles {
			Expect(bytes.Contains(raw, []byte(n))).To(BeFalse(), "the Secret's value appears in %s", where)
		}
	}
	// The search can find it: the Secret itself holds it (base64 in JSON).
	Expect(admin.Get(ctx, key(secret.Name), secret)).To(Succeed())
	raw, err := json.Marshal(secret)
	Expect(err).NotTo(HaveOccurred())
	Expect(bytes.Contains(raw, []byte(needles[1]))).To(BeTrue())

	logs, err := filepath.Glob(filepath.Join(logDir, "*.log"))
	Expect(err).NotTo(HaveOccurred())
	Expect(logs).NotTo(BeEmpty())
	for _, f := range logs {
		raw, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		leaks("the operator's log "+filepath.Base(f), raw)
	}
	objects := 0
	for _, list := range []client.ObjectList{&corev1.EventList{}, &eventsv1.EventList{}, &ecsv1alpha1.TaskDefinitionList{}, &ecsv1alpha1.TaskDefinitionRevisionList{},
		&ecsv1alpha1.ServiceList{}, &ecsv1alpha1.TaskList{}, &ecsv1alpha1.ClusterList{}, &ecsv1alpha1.CapacityProviderList{}, &corev1.PodList{}} {
		Expect(admin.List(ctx, list)).To(Succeed())
		raw, err := json.Marshal(list)
		Expect(err).NotTo(HaveOccurred())
		leaks(fmt.Sprintf("%T", list), raw)
		objects++
	}
	// The audit log is written in batches, a second late at most: a last
	// request as the operator marks its end.
	sa, err := client.New(saCfg, client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	marker := "r9-audit-marker-" + rand.String(6)
	Expect(apierrors.IsNotFound(sa.Get(ctx, key(marker), &ecsv1alpha1.TaskDefinition{}))).To(BeTrue())
	var audit []byte
	Eventually(func(g Gomega) {
		audit, err = os.ReadFile(cp.AuditLogPath())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(audit)).To(ContainSubstring(marker))
	}).WithTimeout(30 * time.Second).Should(Succeed())
	operatorRequests, withBodies := 0, 0
	for _, line := range bytes.Split(audit, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"username":"`+operatorUser+`"`)) {
			continue
		}
		operatorRequests++
		if bytes.Contains(line, []byte(`"responseObject"`)) {
			withBodies++
		}
		leaks("the audit log of the operator's requests", line)
	}
	figure(t, "R9", "%d operator log files, %d object lists and %d audited operator requests (%d with their response bodies) searched: no trace of the Secret's value",
		len(logs), objects, operatorRequests, withBodies)
	Expect(withBodies).To(BeNumerically(">", 50), "the audit log records the operator's requests with their bodies")
}
