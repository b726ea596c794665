package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localrun"
)

// fuzzWriteBound is the most writes the operator may make to one fuzzed
// object (by name: its status, and children that share its name, such as
// a Service's Deployment; Events aside) in the quiet window, once the
// objects have settled. A settled object is written again only when
// something changes: a periodic re-check that finds a new state (a
// Service still waiting for its tasks, a MetricAlarm evaluated once per
// period of 10 s or more, whose state changes at most once between two
// evaluations) writes at most once or twice in 20 s; a hot loop writes
// on every reconcile, many times a second.
const fuzzWriteBound = 2

// fuzzQuiet is the window the writes are counted in, fuzzSettle (in
// fuzz_short_test.go and fuzz_long_test.go) how long before it the
// objects get to settle after the last creation.
const fuzzQuiet = 20 * time.Second

// fuzzClient is the admin's client without client-side throttling: the
// fuzzer's requests go at the API server's pace.
var fuzzClient client.Client

// fuzzKind is a user-written kind the fuzzer generates, from its CRD's
// OpenAPI schema (generated from the ECS API's types) and, for three
// quarters of the objects, from a mutated sample of config/samples.
type fuzzKind struct {
	kind, plural, prefix string
	clusterScoped        bool
	spec                 *apiextv1.JSONSchemaProps
	samples              []map[string]any
}

// fuzzKinds in creation order: what Services and Tasks refer to first.
var fuzzKinds = []fuzzKind{
	{kind: "CapacityProvider", plural: "capacityproviders", prefix: "r6-cp-", clusterScoped: true},
	{kind: "Cluster", plural: "clusters", prefix: "r6-cluster-"},
	{kind: "TaskDefinition", plural: "taskdefinitions", prefix: "r6-td-"},
	{kind: "Service", plural: "services", prefix: "r6-service-"},
	{kind: "Task", plural: "tasks", prefix: "r6-task-"},
	{kind: "ScalableTarget", plural: "scalabletargets", prefix: "r6-st-"},
	{kind: "MetricAlarm", plural: "metricalarms", prefix: "r6-alarm-"},
}

// fuzzStats are one kind's figures.
type fuzzStats struct {
	generated, refusedDryRun, refusedCreate, created, maxWrites int
}

// TestFuzzedObjects (R6) generates ECS JSON for every user-written kind
// from the model (the CRDs' schemas), applies each object with a
// server-side dry run and then for real, with one operator running; then
// checks that every refusal is a 422 with field causes (or a 400), that
// the operator neither panicked nor races, that no object makes it write
// in a loop, and that once everything is deleted nothing is left half
// created. BERTH_FUZZ_SEED replays a run; the seed is logged.
func TestFuzzedObjects(t *testing.T) {
	RegisterTestingT(t)
	ensureBase(t)
	ctx := context.Background()
	seed, err := strconv.ParseUint(os.Getenv("BERTH_FUZZ_SEED"), 10, 64)
	if err != nil {
		seed = rand.Uint64()
	}
	t.Logf("R6 fuzz seed %d (BERTH_FUZZ_SEED=%d replays it)", seed, seed)
	kinds := loadFuzzKinds(t)
	unthrottled := rest.CopyConfig(cp.AdminConfig())
	unthrottled.QPS, unthrottled.Burst = -1, 0
	fuzzClient, err = client.New(unthrottled, client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	g := &fuzzGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n: fuzzPerKind}

	p := startOperator(t, "r6-fuzz", procOptions{})
	waitSynced(t, p)

	stats := map[string]*fuzzStats{}
	var created []*unstructured.Unstructured
	var bad []string // refusals that are not a 422 with causes or a 400
	badRequests := 0
	t.Cleanup(func() {
		deleteFuzzed(created)
		deletePoolNodes(t)
	})
	start := time.Now()
	for _, k := range kinds {
		st := &fuzzStats{}
		stats[k.kind] = st
		for i := range fuzzPerKind {
			name := fmt.Sprintf("%s%d", k.prefix, i)
			obj := g.object(k, name)
			st.generated++
			err := fuzzCreate(ctx, obj.DeepCopy(), client.DryRunAll)
			if err != nil {
				st.refusedDryRun++
				if st.refusedDryRun == 1 || os.Getenv("BERTH_FUZZ_VERBOSE") != "" {
					t.Logf("%s %s refused, e.g.: %v", k.kind, name, err)
				}
				if msg := badRefusal(err); msg != "" {
					bad = append(bad, fmt.Sprintf("dry-run %s %s: %s\n%s", k.kind, name, msg, specJSON(obj)))
				} else if apierrors.IsBadRequest(err) {
					badRequests++
				}
				continue
			}
			tamed := tame(obj)
			if err := fuzzCreate(ctx, tamed, nil); err != nil {
				st.refusedCreate++
				if msg := badRefusal(err); msg != "" {
					bad = append(bad, fmt.Sprintf("create %s %s: %s\n%s", k.kind, name, msg, specJSON(tamed)))
				} else {
					t.Logf("%s %s: accepted by the dry run, refused on create: %v", k.kind, name, err)
				}
				continue
			}
			st.created++
			created = append(created, tamed)
		}
	}
	t.Logf("created %d objects in %.1f s", len(created), time.Since(start).Seconds())
	if len(bad) > 0 {
		t.Errorf("%d refusals are not a 422 with causes or a 400:\n%s", len(bad), strings.Join(bad, "\n"))
	}

	// (a) No panic, no data race, still running, after the objects had
	// time to settle.
	time.Sleep(fuzzSettle)
	from := auditSize(t)
	time.Sleep(fuzzQuiet)
	writes := operatorWrites(t, from)
	Expect(p.exited()).To(BeFalse(), "the operator stopped: %v\n%s", p.err, tail(p.log, 60))
	logText := readFrom(t, p.log, p.from)
	for _, word := range []string{"panic", "DATA RACE"} {
		if i := strings.Index(logText, word); i >= 0 {
			t.Errorf("the operator's log has %q:\n%s", word, logText[max(0, i-2000):min(len(logText), i+4000)])
		}
	}

	// (b) No hot loop: writes per fuzzed object in the quiet window.
	perName := map[string]int{}
	for _, e := range writes {
		if e.ObjectRef != nil && e.ObjectRef.Resource != "events" && strings.HasPrefix(e.ObjectRef.Name, "r6-") {
			perName[e.ObjectRef.Name]++
		}
	}
	kindOf := map[string]string{}
	for _, o := range created {
		kindOf[o.GetName()] = o.GetKind()
	}
	for name, n := range perName {
		k, ok := kindOf[name]
		if !ok {
			// A child named after its object: a revision <td>-<n>.
			if i := strings.LastIndex(name, "-"); i > 0 {
				k, ok = kindOf[name[:i]]
			}
			if !ok {
				continue
			}
		}
		stats[k].maxWrites = max(stats[k].maxWrites, n)
		if n > fuzzWriteBound {
			o := findObject(created, name)
			t.Errorf("hot loop? the operator wrote %s %s %d times in %s (bound %d); its writes:\n%s\nits spec:\n%s\nthe requests:\n%s",
				k, name, n, fuzzQuiet, fuzzWriteBound, writesOf(writes, name), specJSON(o), requestsOf(t, from, name))
		}
	}

	// The figures, before the deletion (which may fail).
	var parts []string
	total := fuzzStats{}
	for _, k := range kinds {
		st := stats[k.kind]
		parts = append(parts, fmt.Sprintf("%s %d/%d/%d/%d", k.kind, st.generated, st.refusedDryRun, st.created, st.maxWrites))
		total.generated += st.generated
		total.refusedDryRun += st.refusedDryRun
		total.refusedCreate += st.refusedCreate
		total.created += st.created
		total.maxWrites = max(total.maxWrites, st.maxWrites)
	}
	refusals := fmt.Sprintf("every refusal a 422 with field causes (%d a 400), no 500, no timeout", badRequests)
	if len(bad) > 0 {
		refusals = fmt.Sprintf("%d refusals not a 422 with causes or a 400", len(bad))
	}
	if total.refusedCreate > 0 {
		refusals += fmt.Sprintf("; %d accepted by the dry run refused on create", total.refusedCreate)
	}
	figure(t, "R6-fuzz", "seed %d; per kind generated/refused by dry-run/created/max operator writes per object in %s after %s: %s; all %d/%d/%d/%d; %s",
		seed, fuzzQuiet, fuzzSettle, strings.Join(parts, ", "), total.generated, total.refusedDryRun, total.created, total.maxWrites, refusals)

	var deployments appsv1.DeploymentList
	var pods corev1.PodList
	Expect(fuzzClient.List(ctx, &deployments, client.InNamespace(ns), client.HasLabels{ecsv1alpha1.LabelService})).To(Succeed())
	Expect(fuzzClient.List(ctx, &pods, client.InNamespace(ns))).To(Succeed())
	nd, np := 0, 0
	for _, d := range deployments.Items {
		if strings.HasPrefix(d.Labels[ecsv1alpha1.LabelService], "r6-") {
			nd++
		}
	}
	for _, p := range pods.Items {
		if strings.HasPrefix(p.Labels[ecsv1alpha1.LabelService], "r6-") || strings.HasPrefix(p.Labels[ecsv1alpha1.LabelTask], "r6-") {
			np++
		}
	}
	t.Logf("R6 fuzz: before the deletion, the fuzzed objects had %d Deployments and %d pods", nd, np)

	// (c) Delete everything: nothing left half created, nothing stuck
	// Terminating.
	deleteStart := time.Now()
	deleteFuzzed(created)
	Eventually(func(g Gomega) { expectFuzzedGone(g, created) }).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	figure(t, "R6-fuzz-deleted", "%d objects and their children gone %.1f s after their deletion", len(created), time.Since(deleteStart).Seconds())
	Expect(p.exited()).To(BeFalse(), "the operator stopped: %v", p.err)
}

func fuzzCreate(ctx context.Context, obj *unstructured.Unstructured, opt client.CreateOption) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if opt == nil {
		return fuzzClient.Create(ctx, obj)
	}
	return fuzzClient.Create(ctx, obj, opt)
}

// badRefusal says what is wrong with a refusal: "" for a 422 Invalid
// with field causes or a 400 Bad Request.
func badRefusal(err error) string {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return "not an API status (timeout?): " + err.Error()
	}
	s := st.Status()
	switch {
	case s.Code == 422 && s.Reason == "Invalid" && s.Details != nil && len(s.Details.Causes) > 0:
		return ""
	case s.Code == 400:
		return ""
	}
	return fmt.Sprintf("%d %s: %s", s.Code, s.Reason, s.Message)
}

// tame caps the counts that turn into pods or nodes (a Service's
// desiredCount, a node pool's or a scalable target's sizes) at 3, so that
// an accepted object does not fill the shared control plane; the dry run
// has seen the untamed values.
func tame(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := obj.DeepCopy()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if slices.Contains([]string{"desiredCount", "minSize", "maxSize", "minCapacity", "maxCapacity"}, k) {
					switch n := x.(type) {
					case int64:
						v[k] = min(n, 3)
					case float64: // from a sample
						v[k] = min(n, 3)
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(out.Object["spec"])
	return out
}

func deleteFuzzed(objs []*unstructured.Unstructured) {
	for _, o := range objs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = client.IgnoreNotFound(fuzzClient.Delete(ctx, o.DeepCopy()))
		cancel()
	}
}

// deletePoolNodes deletes the nodes of the fuzzed capacity providers.
func deletePoolNodes(t *testing.T) {
	var nodes corev1.NodeList
	if err := fuzzClient.List(context.Background(), &nodes); err != nil {
		t.Logf("list nodes: %v", err)
		return
	}
	for i := range nodes.Items {
		if strings.HasPrefix(nodes.Items[i].Labels[ecsv1alpha1.LabelCapacityProvider], "r6-") {
			_ = client.IgnoreNotFound(fuzzClient.Delete(context.Background(), &nodes.Items[i]))
		}
	}
}

// expectFuzzedGone checks that the fuzzed objects are gone, and every
// child Berth makes for them: Deployments, ReplicaSets, pods, Kubernetes
// Services, HPAs and Jobs labelled with a fuzzed Service's or Task's name,
// the revisions of fuzzed task definitions, the nodes of fuzzed capacity
// providers (their owner references make the garbage collector delete
// them; R6 found them left before nodes had owners).
func expectFuzzedGone(g Gomega, objs []*unstructured.Unstructured) {
	ctx := context.Background()
	var left []string
	for _, o := range objs {
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(o.GroupVersionKind())
		err := fuzzClient.Get(ctx, client.ObjectKeyFromObject(o), cur)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			g.Expect(err).NotTo(HaveOccurred())
		case cur.GetDeletionTimestamp() != nil:
			left = append(left, fmt.Sprintf("%s %s Terminating, finalizers %v", o.GetKind(), o.GetName(), cur.GetFinalizers()))
		default:
			left = append(left, fmt.Sprintf("%s %s", o.GetKind(), o.GetName()))
		}
	}
	fuzzed := func(labels map[string]string, keys ...string) string {
		for _, k := range keys {
			if v := labels[k]; strings.HasPrefix(v, "r6-") {
				return k + "=" + v
			}
		}
		return ""
	}
	for _, list := range []client.ObjectList{
		&appsv1.DeploymentList{}, &appsv1.ReplicaSetList{}, &corev1.PodList{}, &corev1.ServiceList{},
		&autoscalingv2.HorizontalPodAutoscalerList{}, &batchv1.JobList{}, &ecsv1alpha1.TaskDefinitionRevisionList{},
	} {
		g.Expect(fuzzClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		g.Expect(meta.EachListItem(list, func(o runtime.Object) error {
			m := o.(client.Object)
			if l := fuzzed(m.GetLabels(), ecsv1alpha1.LabelService, ecsv1alpha1.LabelTask, ecsv1alpha1.LabelTaskDefinition); l != "" || strings.HasPrefix(m.GetName(), "r6-") {
				left = append(left, fmt.Sprintf("%T %s (%s)", o, m.GetName(), l))
			}
			return nil
		})).To(Succeed())
	}
	var nodes corev1.NodeList
	g.Expect(fuzzClient.List(ctx, &nodes)).To(Succeed())
	for _, n := range nodes.Items {
		if l := fuzzed(n.Labels, ecsv1alpha1.LabelCapacityProvider); l != "" {
			left = append(left, fmt.Sprintf("Node %s (%s)", n.Name, l))
		}
	}
	g.Expect(left).To(BeEmpty(), "left after the deletion")
}

func findObject(objs []*unstructured.Unstructured, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetName() == name {
			return o
		}
	}
	return nil
}

func writesOf(writes []auditEntry, name string) string {
	var b strings.Builder
	for _, e := range writes {
		if e.ObjectRef != nil && e.ObjectRef.Name == name && e.ObjectRef.Resource != "events" {
			fmt.Fprintf(&b, "  %s %s %s/%s -> %d\n", e.RequestReceived.Format("15:04:05.000"), e.Verb, e.ObjectRef.Resource, e.ObjectRef.Subresource, code(e))
		}
	}
	return b.String()
}

// requestsOf is the bodies of the operator's writes to the object name
// in the audit log from offset on.
func requestsOf(t *testing.T, from int64, name string) string {
	t.Helper()
	f, err := os.Open(cp.AuditLogPath())
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = f.Close() }()
	_, err = f.Seek(from, 0)
	Expect(err).NotTo(HaveOccurred())
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 16<<20), 16<<20)
	for sc.Scan() {
		var e struct {
			auditEntry
			RequestObject json.RawMessage `json:"requestObject"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.User.Username != operatorUser || e.ObjectRef == nil ||
			e.ObjectRef.Name != name || e.ObjectRef.Resource == "events" || e.Verb == "get" || e.Verb == "list" || e.Verb == "watch" {
			continue
		}
		body := string(e.RequestObject)
		if len(body) > 3000 {
			body = body[:3000] + "..."
		}
		fmt.Fprintf(&b, "  %s %s %s/%s: %s\n", e.RequestReceived.Format("15:04:05.000"), e.Verb, e.ObjectRef.Resource, e.ObjectRef.Subresource, body)
	}
	return b.String()
}

func code(e auditEntry) int {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

func specJSON(o *unstructured.Unstructured) string {
	if o == nil {
		return "?"
	}
	raw, _ := json.Marshal(o.Object["spec"])
	if len(raw) > 8000 {
		return string(raw[:8000]) + "..."
	}
	return string(raw)
}

func readFrom(t *testing.T, path string, offset int64) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	if offset > int64(len(raw)) {
		return ""
	}
	return string(raw[offset:])
}

// loadFuzzKinds reads the kinds' spec schemas from the CRDs and their
// samples from config/samples.
func loadFuzzKinds(t *testing.T) []fuzzKind {
	t.Helper()
	root, err := localrun.Root()
	Expect(err).NotTo(HaveOccurred())
	samples := map[string][]map[string]any{}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	for _, f := range files {
		raw, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				break
			}
			if spec, ok := doc["spec"].(map[string]any); ok {
				kind, _ := doc["kind"].(string)
				samples[kind] = append(samples[kind], spec)
			}
		}
	}
	kinds := slices.Clone(fuzzKinds)
	for i := range kinds {
		k := &kinds[i]
		raw, err := os.ReadFile(filepath.Join(root, "config", "crd", "bases", "ecs.berth.dev_"+k.plural+".yaml"))
		Expect(err).NotTo(HaveOccurred())
		var crd apiextv1.CustomResourceDefinition
		Expect(yaml.Unmarshal(raw, &crd)).To(Succeed())
		spec, ok := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
		Expect(ok).To(BeTrue(), "%s has no spec", k.kind)
		k.spec = &spec
		k.samples = samples[k.kind]
		Expect(k.samples).NotTo(BeEmpty(), "no sample of %s", k.kind)
	}
	return kinds
}

// fuzzGen generates objects, deterministically from its random source.
type fuzzGen struct {
	r *rand.Rand
	n int // objects per kind: the range of the names objects refer to
}

// object generates one object of kind k named name: a quarter straight
// from the schema, the rest a sample with one or two of its fields
// regenerated from the schema, dropped or added.
func (g *fuzzGen) object(k fuzzKind, name string) *unstructured.Unstructured {
	var spec any
	if g.r.IntN(4) == 0 {
		spec = g.value(k.spec, "spec", 0)
	} else {
		spec = g.mutate(g.sample(k, name), k.spec)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	obj.SetAPIVersion(ecsv1alpha1.GroupVersion.String())
	obj.SetKind(k.kind)
	obj.SetName(name)
	if !k.clusterScoped {
		obj.SetNamespace(ns)
	}
	// The names that must match metadata.name, matching half of the time.
	if m, ok := spec.(map[string]any); ok && g.r.IntN(2) == 0 {
		self := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		switch k.kind {
		case "CapacityProvider":
			m["name"] = self
		case "Cluster":
			m["clusterName"] = self
		case "TaskDefinition":
			m["family"] = name
		}
	}
	return obj
}

// sample is one of the kind's samples, pointed at the objects of this
// namespace: the base task definition "app", a fuzzed Service.
func (g *fuzzGen) sample(k fuzzKind, name string) map[string]any {
	s := runtime.DeepCopyJSON(k.samples[g.r.IntN(len(k.samples))])
	switch k.kind {
	case "CapacityProvider":
		delete(s, "name")
	case "TaskDefinition":
		s["family"] = name
	case "Service", "Task":
		s["taskDefinition"] = "app"
	case "ScalableTarget":
		s["resourceId"] = fmt.Sprintf("service/default/r6-service-%d", g.r.IntN(g.n))
	}
	return s
}

// hints are valid-looking values for properties of these names: the
// names of objects that exist, or will.
func (g *fuzzGen) hint(prop string) (string, bool) {
	k := g.r.IntN(g.n)
	var choices []string
	switch prop {
	case "taskDefinition":
		choices = []string{"app", "app:1", "app:2", fmt.Sprintf("r6-td-%d", k), fmt.Sprintf("r6-td-%d:1", k),
			"arn:aws:ecs:us-east-1:000000000000:task-definition/app:1"}
	case "cluster":
		choices = []string{"default", fmt.Sprintf("r6-cluster-%d", k), "arn:aws:ecs:us-east-1:000000000000:cluster/default"}
	case "capacityProvider", "capacityProviders":
		choices = []string{"FARGATE", "FARGATE_SPOT", "ec2", fmt.Sprintf("R6_CP_%d", k)}
	case "resourceId":
		choices = []string{fmt.Sprintf("service/default/r6-service-%d", k), "service/default/app"}
	case "alarmNames", "alarmName":
		choices = []string{fmt.Sprintf("r6-alarm-%d", k), "web-cpu-high"}
	case "image":
		choices = []string{"public.ecr.aws/example/app:1", "public.ecr.aws/example/app:broken"}
	}
	if len(choices) == 0 {
		return "", false
	}
	return choices[g.r.IntN(len(choices))], true
}

// fuzzNode is a place in a sample a mutation can change: the map or list
// that holds it, its key or index, and its schema.
type fuzzNode struct {
	parent   any // map[string]any or []any
	key      string
	index    int
	schema   *apiextv1.JSONSchemaProps
	required bool
}

// mutate makes one or two changes to the sample v, by its schema s:
// a value regenerated, an optional field dropped or added, an item added
// to a list.
func (g *fuzzGen) mutate(v map[string]any, s *apiextv1.JSONSchemaProps) map[string]any {
	var nodes []fuzzNode
	var walk func(v any, s *apiextv1.JSONSchemaProps)
	walk = func(v any, s *apiextv1.JSONSchemaProps) {
		switch v := v.(type) {
		case map[string]any:
			for _, key := range sortedKeys(v) {
				sub, ok := s.Properties[key]
				if !ok && s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
					sub, ok = *s.AdditionalProperties.Schema, true
				}
				if ok {
					nodes = append(nodes, fuzzNode{parent: v, key: key, schema: &sub, required: slices.Contains(s.Required, key)})
					walk(v[key], &sub)
				}
			}
			// Where an optional field could be added.
			nodes = append(nodes, fuzzNode{parent: v, index: -1, schema: s})
		case []any:
			if s.Items == nil || s.Items.Schema == nil {
				return
			}
			for i, x := range v {
				nodes = append(nodes, fuzzNode{parent: v, index: i, schema: s.Items.Schema})
				walk(x, s.Items.Schema)
			}
		}
	}
	for range 1 + g.r.IntN(2) {
		nodes = nodes[:0]
		walk(v, s)
		n := nodes[g.r.IntN(len(nodes))]
		switch parent := n.parent.(type) {
		case map[string]any:
			switch {
			case n.index == -1:
				keys := sortedKeys(n.schema.Properties)
				if len(keys) > 0 {
					key := keys[g.r.IntN(len(keys))]
					sub := n.schema.Properties[key]
					parent[key] = g.value(&sub, key, 2)
				}
			case !n.required && g.r.IntN(4) == 0:
				delete(parent, n.key)
			case n.schema.Type == "array" && g.r.IntN(3) == 0 && n.schema.Items != nil && n.schema.Items.Schema != nil:
				list, _ := parent[n.key].([]any)
				parent[n.key] = append(list, g.value(n.schema.Items.Schema, n.key, 2))
			default:
				parent[n.key] = g.value(n.schema, n.key, 2)
			}
		case []any:
			parent[n.index] = g.value(n.schema, "", 2)
		}
	}
	return v
}

// value generates a value for schema s, of property prop.
func (g *fuzzGen) value(s *apiextv1.JSONSchemaProps, prop string, depth int) any {
	if len(s.Enum) > 0 && g.r.IntN(10) < 7 {
		var v any
		if json.Unmarshal(s.Enum[g.r.IntN(len(s.Enum))].Raw, &v) == nil {
			return v
		}
	}
	switch {
	case s.XIntOrString:
		if g.r.IntN(2) == 0 {
			return g.integer(s)
		}
		return g.pick("8", "32Gi", "500m", "0", "-1", "1e3", "abc", "", "100%", "99999999999999999999")
	case s.Type == "object":
		return g.objectValue(s, depth)
	case s.Type == "array":
		if s.Items == nil || s.Items.Schema == nil {
			return []any{}
		}
		n := g.r.IntN(4)
		if s.MaxItems != nil && *s.MaxItems < 5 && g.r.IntN(8) == 0 {
			n = int(*s.MaxItems) + 1
		}
		if depth > 8 {
			n = min(n, 1)
		}
		out := make([]any, 0, n)
		for range n {
			out = append(out, g.value(s.Items.Schema, prop, depth+1))
		}
		return out
	case s.Type == "string":
		return g.str(s, prop)
	case s.Type == "integer":
		return g.integer(s)
	case s.Type == "number":
		return g.pickAny(0.0, 0.5, -1.5, 50.0, 100.0, 1e9, -1e308, 1e308, math.SmallestNonzeroFloat64, float64(g.r.IntN(1000))+0.25)
	case s.Type == "boolean":
		return g.r.IntN(2) == 0
	case s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields:
		return map[string]any{g.ident(): g.ident(), "n": int64(g.r.IntN(10)), "nested": map[string]any{"x": []any{"a", int64(1)}}}
	}
	return g.ident()
}

func (g *fuzzGen) objectValue(s *apiextv1.JSONSchemaProps, depth int) any {
	out := map[string]any{}
	for _, key := range sortedKeys(s.Properties) {
		required := slices.Contains(s.Required, key)
		var keep bool
		switch {
		case required:
			keep = g.r.IntN(20) != 0
		case depth > 8:
			keep = false
		default:
			keep = g.r.Float64() < 0.45/float64(1+depth/2)
		}
		if keep {
			sub := s.Properties[key]
			out[key] = g.value(&sub, key, depth+1)
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		for range g.r.IntN(4) {
			out[g.pick(g.ident(), "a.b/c", "awslogs-group", "", "KEY_1")] = g.value(s.AdditionalProperties.Schema, "", depth+1)
		}
	}
	if len(s.Properties) == 0 && s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
		out[g.ident()] = g.ident()
	}
	return out
}

func (g *fuzzGen) str(s *apiextv1.JSONSchemaProps, prop string) string {
	if h, ok := g.hint(prop); ok && g.r.IntN(10) < 4 {
		return h
	}
	if s.Format == "date-time" && g.r.IntN(2) == 0 {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.IntN(1<<20)-1<<19) * time.Minute).Format(time.RFC3339)
	}
	switch n := g.r.IntN(20); {
	case n < 2:
		return ""
	case n < 9:
		return g.ident()
	case n < 11:
		return strings.ToUpper(strings.ReplaceAll(g.ident(), "-", "_"))
	case n < 13:
		return g.pick("0", "1", "-1", "256", "512", "1024", "0.5 vCPU", "2 GB", "2147483648", "99999999999", "1e3", "80", "NaN")
	case n < 15:
		l := g.pickInt(255, 256, 1024, 4096)
		if s.MaxLength != nil {
			l = int(*s.MaxLength) + g.r.IntN(2)
		}
		return strings.Repeat(string(rune('a'+g.r.IntN(26))), min(l, 1<<15))
	default:
		return g.pick("héllo wörld", "日本語", "🚢", " leading", "trailing ", "a b", "${VAR}", "../../etc/passwd", "a:b:c",
			"arn:aws:ecs:us-east-1:000000000000:service/default/web", "\x00nul", "tab\there", "line\nbreak", "'quote\"", "*", "-", "_", ".")
	}
}

func (g *fuzzGen) integer(s *apiextv1.JSONSchemaProps) int64 {
	choices := []int64{0, 1, -1, 2, 3, 10, 60, 100, 300, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1, math.MaxInt64, math.MinInt64}
	if s.Minimum != nil {
		m := int64(*s.Minimum)
		choices = append(choices, m, m-1, m+1)
	}
	if s.Maximum != nil {
		m := int64(*s.Maximum)
		choices = append(choices, m, m+1, m-1)
	}
	if g.r.IntN(4) == 0 {
		return int64(g.r.IntN(1000))
	}
	return choices[g.r.IntN(len(choices))]
}

func (g *fuzzGen) ident() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789-"
	n := 1 + g.r.IntN(16)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.r.IntN(len(letters))]
	}
	return string(b)
}

func (g *fuzzGen) pick(choices ...string) string { return choices[g.r.IntN(len(choices))] }

func (g *fuzzGen) pickInt(choices ...int) int { return choices[g.r.IntN(len(choices))] }

func (g *fuzzGen) pickAny(choices ...float64) float64 { return choices[g.r.IntN(len(choices))] }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
