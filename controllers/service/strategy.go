package service

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1ac "sigs.k8s.io/gateway-api/applyconfiguration/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/hooks"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/strategy"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// LabelPodTemplateHash is the label the Kubernetes Deployment controller
// puts on each ReplicaSet and its pods: it tells one pod template's tasks
// from another's, whatever their own labels.
const LabelPodTemplateHash = "pod-template-hash"

// deployStrategy is the strategy a Service deploys with when it is not
// ROLLING: BLUE_GREEN, LINEAR or CANARY, and BLUE_GREEN for the
// CODE_DEPLOY deployment controller (docs/services.md). "" for ROLLING, a
// DAEMON service, or a placement sliced over several capacity providers
// (each a Deployment of its own), which deploy ROLLING.
func deployStrategy(svc *ecsv1alpha1.Service, p translate.Placement) ecsv1alpha1.DeploymentStrategy {
	if isDaemon(svc) || p.Sliced() {
		return ""
	}
	if dc := svc.Spec.DeploymentController; dc != nil && dc.Type == ecsv1alpha1.DeploymentControllerTypeCodeDeploy {
		return ecsv1alpha1.DeploymentStrategyBlueGreen
	}
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		switch dc.Strategy {
		case ecsv1alpha1.DeploymentStrategyBlueGreen, ecsv1alpha1.DeploymentStrategyLinear, ecsv1alpha1.DeploymentStrategyCanary:
			return dc.Strategy
		}
	}
	return ""
}

// lifecycle is a strategy deployment as one reconcile sees it.
type lifecycle struct {
	kind ecsv1alpha1.DeploymentStrategy
	// prod is the slot (Deployment name) of production when idle, of blue
	// during a deployment; green the slot of the target revision ("" when
	// idle).
	prod, green string
	// blueHash and blueID: the source revision's template hash and
	// deployment id; greenID the target's.
	blueHash, blueID, greenID string
	// out is the pass's decision (nil when idle).
	out *strategy.Output
	// hookDeployment and obs: the hooks' deployment and what their runner
	// saw.
	hookDeployment hooks.Deployment
	obs            hooks.Observed
	// status is the status.strategy to write.
	status *ecsv1alpha1.ServiceStrategyStatus
}

// idle tells whether no deployment is in progress or held (rolled back or
// stopped): production runs alone.
func (l *lifecycle) idle() bool { return l.out == nil }

// slotOf is the Deployment that runs hash's tasks: green's or blue's.
func (l *lifecycle) slotOf(hash string) string {
	if !l.idle() && hash == l.status.TemplateHash {
		return l.green
	}
	return l.prod
}

func otherSlot(svc *ecsv1alpha1.Service, slot string) string {
	if slot == names.AlternateDeployment(svc.Name) {
		return translate.DeploymentName(svc)
	}
	return names.AlternateDeployment(svc.Name)
}

// minute is how long one of ECS's minutes lasts in the deployment
// lifecycle's durations (bake times, hook timeouts).
func (r *Reconciler) minute() time.Duration {
	if r.Minute > 0 {
		return r.Minute
	}
	return time.Minute
}

func (r *Reconciler) hookRunner() hooks.Runner {
	h := r.Hooks
	if h.Client == nil {
		h.Client = r.Client
	}
	if h.Reader == nil {
		h.Reader = h.Client
	}
	if h.Account == (names.Account{}) {
		h.Account = r.Config.Account
	}
	return h
}

// reconcileStrategy deploys a BLUE_GREEN, LINEAR or CANARY Service: it
// runs the deployment's lifecycle (internal/strategy), then the scheduler
// for counts, events and the circuit breaker's count, applies each slot's
// Deployment and the Kubernetes Services that route to them, and invokes
// the hooks the pass decided.
func (r *Reconciler) reconcileStrategy(ctx context.Context, s *scope, want *appsv1ac.DeploymentApplyConfiguration, kind ecsv1alpha1.DeploymentStrategy) error {
	if _, err := kubeServices(s.svc, s.revision); err != nil {
		return err
	}
	// The alternate slot is not taken from another owner either.
	if err := r.checkNames(ctx, s, []*appsv1ac.DeploymentApplyConfiguration{appsv1ac.Deployment(names.AlternateDeployment(s.svc.Name), s.svc.Namespace)}); err != nil {
		return err
	}
	if err := r.listPods(ctx, s); err != nil {
		return err
	}
	s.want = target(want.Spec.Template.Annotations, s.revision, s.placement, r.Config)
	l, err := r.lifecycle(ctx, s, kind)
	if err != nil {
		return err
	}
	s.lifecycle = l
	if err := r.scheduleStrategy(ctx, s); err != nil {
		return err
	}
	// The listeners first: a Service pinned to blue before green has a
	// task, so that no green task is ever an endpoint before its time;
	// then the routes, which send nothing to a revision before its
	// Service exists; then the replicas; and only then the Services no
	// longer asked for go, once no route leads to them.
	run, err := r.slotRun(ctx, s, want)
	if err != nil {
		return err
	}
	s.keepStale = true
	if err := r.labelServing(ctx, s); err != nil {
		return err
	}
	if err := r.reconcileKubeServices(ctx, s); err != nil {
		return err
	}
	if err := r.reconcileRoutes(ctx, s); err != nil {
		return err
	}
	if err := r.applySlots(ctx, s, run); err != nil {
		return err
	}
	if err := r.deleteStaleServices(ctx, s); err != nil {
		return err
	}
	if err := r.invokeHooks(ctx, s); err != nil {
		return err
	}
	return r.cleanUpHooks(ctx, s)
}

// cleanUpHooks deletes the hook Jobs of deployments that are over (all of
// them when none is in progress), so that a template deployed again runs
// its hooks afresh; it looks again while some remain.
func (r *Reconciler) cleanUpHooks(ctx context.Context, s *scope) error {
	l := s.lifecycle
	var active []string
	if !l.idle() && !l.out.State.Final() {
		active = []string{l.greenID}
	}
	_, more, err := r.hookRunner().Cleanup(ctx, s.svc, active)
	if err != nil {
		return err
	}
	if more && (s.plan.Recheck == 0 || s.plan.Recheck > time.Second) {
		s.plan.Recheck = time.Second
	}
	return nil
}

// scheduleStrategy runs the scheduler for a lifecycle's pass: counts,
// events and the failed tasks; the lifecycle decides when the deployment
// fails, and its events and recheck join the scheduler's.
func (r *Reconciler) scheduleStrategy(ctx context.Context, s *scope) error {
	l := s.lifecycle
	in := r.planInput(s)
	in.Workload = workload(s.liveSlot(l.slotOf(s.want.Hash)), nil)
	if l.idle() {
		// No lifecycle runs (the first deployment, or one that changed
		// nothing of the template): the scheduler watches the alarms,
		// the circuit breaker and StopServiceDeployment as for ROLLING.
		var err error
		if in.Alarms, err = r.deploymentAlarms(ctx, s.svc); err != nil {
			return err
		}
		in.Stop = stopRequest(s.svc)
		s.plan = rollout.Plan(in)
		return nil
	}
	in.Strategy = true
	if !l.idle() && l.out.State.Cause != "" && l.out.State.Status != ecsv1alpha1.ServiceDeploymentInProgress {
		in.Failed = &rollout.Failure{ID: l.greenID, Cause: l.out.State.Cause, Reason: l.out.State.StatusReason, Rollback: l.out.State.Rollback != nil}
		in.Workload = workload(s.liveSlot(l.prod), nil)
	}
	s.plan = rollout.Plan(in)
	for _, e := range l.out.Events {
		if e.Reason == strategy.ReasonDeploymentCompleted {
			// The scheduler says it, when the deployment's tasks all run
			// and the other revision's are gone.
			continue
		}
		s.plan.Messages = append(s.plan.Messages, rollout.Message{Reason: e.Reason, Warning: e.Warning, Text: e.Text})
	}
	if !l.out.Recheck.IsZero() {
		d := max(l.out.Recheck.Sub(s.now), 100*time.Millisecond)
		if s.plan.Recheck == 0 || d < s.plan.Recheck {
			s.plan.Recheck = d
		}
	}
	return nil
}

// liveSlot is the slot's live Deployment, as a list for workload.
func (s *scope) liveSlot(name string) []*appsv1.Deployment {
	if d := s.liveDeployment(name); d != nil {
		return []*appsv1.Deployment{d}
	}
	return nil
}

// lifecycle decides the slots and runs the deployment's lifecycle pass.
func (r *Reconciler) lifecycle(ctx context.Context, s *scope, kind ecsv1alpha1.DeploymentStrategy) (*lifecycle, error) {
	l := &lifecycle{kind: kind, status: &ecsv1alpha1.ServiceStrategyStatus{}}
	st, deploying := l.slots(s)
	if !deploying {
		return l, nil
	}
	l.greenID = s.want.ID
	if err := r.pass(ctx, s, l, st); err != nil {
		return nil, err
	}
	return l, nil
}

// productionSlot is the Deployment production runs in: the one the status
// says, or the one that exists (the first slot for a new service).
func productionSlot(s *scope) string {
	a, b := translate.DeploymentName(s.svc), names.AlternateDeployment(s.svc.Name)
	da, db := s.liveDeployment(a), s.liveDeployment(b)
	switch stored := s.svc.Status.Strategy; {
	case stored != nil && s.liveDeployment(stored.Production) != nil:
		return stored.Production
	case da == nil && db != nil:
		return b
	case da != nil && db != nil && db.Status.ReadyReplicas > da.Status.ReadyReplicas:
		// No status says (it was lost): the slot that serves.
		return b
	}
	return a
}

// slots decides where blue and green run: a deployment held in the status
// (in progress, or rolled back or stopped while the spec still asks for
// it) goes on from its state; a spec that asks for another template than
// production's starts one; otherwise the service is idle (deploying
// false).
func (l *lifecycle) slots(s *scope) (st strategy.State, deploying bool) {
	stored := s.svc.Status.Strategy
	l.prod = productionSlot(s)
	l.status.Production = l.prod
	if held(stored, s.want.Hash) {
		if err := json.Unmarshal(stored.State.Raw, &st); err != nil {
			// A state Berth cannot read is started again.
			st = strategy.State{}
		}
		l.green, l.blueHash, l.blueID = stored.Target, stored.SourceTemplateHash, stored.SourceDeploymentID
		l.prod = stored.Production
		return st, true
	}
	if replacedOnGreen(stored) && s.liveDeployment(stored.Target) != nil {
		// A deployment replaced while most production traffic was on its
		// target: the target is the new source.
		l.prod = stored.Target
	}
	l.status.Production = l.prod
	prod := s.liveDeployment(l.prod)
	if prod == nil || prod.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash] == s.want.Hash {
		l.status.Strategy = l.kind
		if stored != nil && stored.Production == l.prod {
			// The last deployment's record stays until the next one.
			rec := stored.DeepCopy()
			rec.ProductionTraffic, rec.TestTraffic, rec.State = nil, nil, nil
			l.status = rec
		}
		return st, false
	}
	l.green = otherSlot(s.svc, l.prod)
	l.blueHash, l.blueID = prod.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash], prod.Spec.Template.Annotations[ecsv1alpha1.AnnotationStartedBy]
	return st, true
}

// inProgress: a lifecycle is running (or rolling back).
func inProgress(st *ecsv1alpha1.ServiceStrategyStatus) bool {
	return st != nil && st.DeploymentID != "" &&
		(st.Status == ecsv1alpha1.ServiceDeploymentInProgress || st.Status == ecsv1alpha1.ServiceDeploymentRollbackInProgress)
}

// held: the stored deployment is the one the spec asks for (hash), and
// has not succeeded.
func held(stored *ecsv1alpha1.ServiceStrategyStatus, hash string) bool {
	return stored != nil && stored.DeploymentID != "" && stored.TemplateHash == hash &&
		stored.Status != ecsv1alpha1.ServiceDeploymentSuccessful && stored.State != nil
}

// replacedOnGreen: the stored deployment, which the spec no longer asks
// for, had not succeeded and had moved most production traffic to its
// target.
func replacedOnGreen(stored *ecsv1alpha1.ServiceStrategyStatus) bool {
	return stored != nil && stored.DeploymentID != "" && stored.Status != ecsv1alpha1.ServiceDeploymentSuccessful &&
		stored.ProductionTraffic != nil && stored.ProductionTraffic.Green > stored.ProductionTraffic.Blue
}

// pass runs the lifecycle once from state st and what the world shows,
// and makes the status to write.
func (r *Reconciler) pass(ctx context.Context, s *scope, l *lifecycle, st strategy.State) error {
	svc := s.svc
	dc := deploymentConfiguration(svc, l.kind)
	if stored := svc.Status.Strategy; held(stored, s.want.Hash) && stored.DeploymentConfiguration != nil {
		// A deployment keeps the configuration it started with.
		dc = stored.DeploymentConfiguration.DeepCopy()
		l.kind = dc.Strategy
	}
	cfg, err := strategy.FromDeploymentConfiguration(dc, r.minute())
	if err != nil {
		return &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonInvalidParameter,
			Message: fmt.Sprintf("InvalidParameterException: deploymentConfiguration: %s", err)}
	}
	l.hookDeployment = hooks.Deployment{Service: svc, ID: l.greenID, Source: l.blueID, Hooks: dc.LifecycleHooks}
	if l.obs, err = r.hookRunner().Reports(ctx, l.hookDeployment, hooks.Awaiting(&st)); err != nil {
		return err
	}
	world, err := r.world(ctx, s, l)
	if err != nil {
		return err
	}
	world.Hooks = l.obs.Reports
	out := strategy.Step(strategy.Input{
		Config: cfg, Service: serviceName(svc), Deployment: l.greenID, RollbackTo: l.blueID,
		DesiredCount: ptr.Deref(svc.Spec.DesiredCount, 0), State: st, World: world, Now: s.now,
	})
	l.out = &out
	raw, err := canonicalJSON(out.State)
	if err != nil {
		return err
	}
	l.status = &ecsv1alpha1.ServiceStrategyStatus{
		Production: l.prod, DeploymentID: l.greenID, TemplateHash: s.want.Hash, Target: l.green,
		SourceDeploymentID: l.blueID, SourceTemplateHash: l.blueHash, Strategy: l.kind,
		Status: out.Status, LifecycleStage: out.LifecycleStage,
		ProductionTraffic:       &ecsv1alpha1.TrafficWeights{Blue: out.Production.Blue, Green: out.Production.Green},
		TestTraffic:             &ecsv1alpha1.TrafficWeights{Blue: out.Test.Blue, Green: out.Test.Green},
		State:                   &runtime.RawExtension{Raw: raw},
		DeploymentConfiguration: dc,
	}
	if out.Status == ecsv1alpha1.ServiceDeploymentSuccessful {
		// Green is production from now on.
		l.status.Production = l.green
	}
	return nil
}

// deploymentConfiguration is the Service's, with the strategy it deploys
// with (BLUE_GREEN for CODE_DEPLOY).
func deploymentConfiguration(svc *ecsv1alpha1.Service, kind ecsv1alpha1.DeploymentStrategy) *ecsv1alpha1.DeploymentConfiguration {
	dc := &ecsv1alpha1.DeploymentConfiguration{}
	if svc.Spec.DeploymentConfiguration != nil {
		dc = svc.Spec.DeploymentConfiguration.DeepCopy()
	}
	dc.Strategy = kind
	return dc
}

// canonicalJSON encodes v with its keys sorted, as the API server gives
// back an object it keeps as unknown fields: a state that did not change
// compares equal, and a no-op reconcile writes nothing.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// world is what the lifecycle decides from: the tasks of each revision,
// the deployment alarms in ALARM, the circuit breaker's count and a
// StopServiceDeployment naming the deployment.
func (r *Reconciler) world(ctx context.Context, s *scope, l *lifecycle) (strategy.World, error) {
	w := countRevisions(s.pods, s.want.Hash, l.blueHash)
	a, err := r.deploymentAlarms(ctx, s.svc)
	if err != nil {
		return w, err
	}
	if a != nil {
		w.AlarmsInAlarm = a.InAlarm
	}
	w.CircuitBreakerTripped = tripped(s.svc, s.want.Hash)
	if stop := stopRequest(s.svc); stop != nil && stop.ID == l.greenID {
		w.Stop = &strategy.Stop{Rollback: stop.Rollback}
	}
	return w, nil
}

// countRevisions counts green's tasks (running: not finished, stopping
// ones too; ready: not stopping, Ready) and blue's (not finished).
func countRevisions(pods []corev1.Pod, green, blue string) strategy.World {
	var w strategy.World
	for i := range pods {
		pod := &pods[i]
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		switch pod.Annotations[ecsv1alpha1.AnnotationTemplateHash] {
		case green:
			w.GreenRunning++
			if pod.DeletionTimestamp.IsZero() && taskstate.Ready(pod) {
				w.GreenReady++
			}
		case blue:
			w.BlueRunning++
		}
	}
	return w
}

// tripped tells whether the circuit breaker's threshold is reached for
// the deployment of template hash (its failed tasks as last recorded).
func tripped(svc *ecsv1alpha1.Service, hash string) bool {
	dc := svc.Spec.DeploymentConfiguration
	if dc == nil || dc.DeploymentCircuitBreaker == nil || !dc.DeploymentCircuitBreaker.Enable {
		return false
	}
	for _, d := range svc.Status.Deployments {
		if d.TemplateHash == hash && d.FailedTasks >= rollout.Threshold(ptr.Deref(svc.Spec.DesiredCount, 0)) {
			return true
		}
	}
	return false
}

// slotRun decides what the slots run and sets s.running: idle,
// production runs the revision the scheduler runs (the spec's, or the last
// completed one after a failure), whose Deployment it returns; during a
// deployment, green runs the spec's revision (want) and blue keeps its
// own.
func (r *Reconciler) slotRun(ctx context.Context, s *scope, want *appsv1ac.DeploymentApplyConfiguration) (*appsv1ac.DeploymentApplyConfiguration, error) {
	if s.lifecycle.idle() {
		runs, err := r.runDeployments(ctx, s, []*appsv1ac.DeploymentApplyConfiguration{want})
		if err != nil {
			return nil, err
		}
		return runs[0], nil
	}
	s.running = s.revision
	if s.lifecycle.out.State.Rollback != nil {
		if rev, err := resolve.InUse(ctx, r.Client, s.svc.Namespace, s.runningArn()); err == nil {
			s.running = rev
		}
	}
	return want, nil
}

// applySlots applies the Deployment of each slot (run, from slotRun):
// idle, production at the desired count and the other slot at none;
// during a deployment, each with the replicas the lifecycle decided. Green
// starts no task before the API server holds the listeners' selectors
// pinned to blue (s.pinPending): the next reconcile starts them.
func (r *Reconciler) applySlots(ctx context.Context, s *scope, run *appsv1ac.DeploymentApplyConfiguration) error {
	l := s.lifecycle
	desired := ptr.Deref(s.svc.Spec.DesiredCount, 0)
	if len(s.placement.Providers) == 1 {
		s.split = []ecsv1alpha1.CapacityProviderTasks{{CapacityProvider: translate.ProviderName(s.placement.Providers[0]), DesiredCount: desired}}
	}
	if l.idle() {
		replicas := desired
		if s.plan.Run == nil {
			replicas = 0
		}
		if err := r.applyDeployment(ctx, s, inSlot(s.svc, run, l.prod, replicas)); err != nil {
			return err
		}
		return r.scaleSlot(ctx, s, otherSlot(s.svc, l.prod), 0)
	}
	green := l.out.Replicas.Green
	if s.pinPending {
		if live := s.liveDeployment(l.green); live == nil || live.Status.Replicas == 0 {
			green = 0
		}
	}
	if err := r.applyDeployment(ctx, s, inSlot(s.svc, run, l.green, green)); err != nil {
		return err
	}
	return r.scaleSlot(ctx, s, l.prod, l.out.Replicas.Blue)
}

// runningArn is the task definition ARN of the deployment the scheduler
// runs.
func (s *scope) runningArn() string {
	if s.plan.Run != nil {
		return s.plan.Run.TaskDefinition
	}
	return ""
}

// inSlot puts a translated Deployment in a slot: the alternate slot's
// Deployment selects, and labels, its tasks with LabelSlot. The template
// hash and deployment id stay the revision's.
func inSlot(svc *ecsv1alpha1.Service, d *appsv1ac.DeploymentApplyConfiguration, slot string, replicas int32) *appsv1ac.DeploymentApplyConfiguration {
	d.WithName(slot)
	d.Spec.WithReplicas(replicas)
	if slot == names.AlternateDeployment(svc.Name) {
		sel := translate.ServiceSelector(svc)
		sel[ecsv1alpha1.LabelSlot] = "b"
		d.WithLabels(map[string]string{ecsv1alpha1.LabelSlot: "b"})
		d.Spec.WithSelector(metav1ac.LabelSelector().WithMatchLabels(sel))
		d.Spec.Template.WithLabels(map[string]string{ecsv1alpha1.LabelSlot: "b"})
	}
	return d
}

// scaleSlot sets the replicas of a slot's live Deployment, leaving its
// template as it is.
func (r *Reconciler) scaleSlot(ctx context.Context, s *scope, slot string, replicas int32) error {
	d := s.liveDeployment(slot)
	if d == nil {
		return nil
	}
	return r.scale(ctx, d, replicas)
}

// pinnedHashes are the pod-template-hash values the production and the
// test listeners' Kubernetes Services select during a deployment, or
// while another revision's tasks remain ("" otherwise: they select every
// task of the Service). A listener serves the
// revision with most of its traffic: all of it for BLUE_GREEN; LINEAR and
// CANARY's intermediate weights are HTTPRoute weights where there is
// Gateway API, and here the majority (docs/services.md).
func (s *scope) pinnedHashes() (prod, test string) {
	l := s.lifecycle
	if !s.pinning() {
		return "", ""
	}
	if l.idle() {
		h := podTemplateHash(s.pods, s.plan.Run.TemplateHash)
		return h, h
	}
	pick := func(w strategy.Weights) string {
		hash := l.blueHash
		if w.Green > w.Blue {
			hash = s.want.Hash
		}
		return podTemplateHash(s.pods, hash)
	}
	return pick(l.out.Production), pick(l.out.Test)
}

// pinning tells whether the listeners' Services select one revision's
// tasks: during a deployment, and while tasks of another revision than
// production's remain (a deployment given up by a change of the spec).
func (s *scope) pinning() bool {
	l := s.lifecycle
	if l == nil {
		return false
	}
	if !l.idle() {
		return true
	}
	return s.plan.Run != nil && otherTemplates(s.pods, s.plan.Run.TemplateHash)
}

// splitting tells whether the production listener's traffic is split
// between the revisions by the ratio of their serving tasks: a LINEAR or
// CANARY step between all blue and all green, with no HTTPRoute to weigh
// it (no Gateway API, or no Gateway named).
func (s *scope) splitting() bool {
	l := s.lifecycle
	if l == nil || l.idle() || l.out.State.Final() {
		return false
	}
	w := l.out.Production
	if w == strategy.AllBlue || w == strategy.AllGreen {
		return false
	}
	return !s.features.GatewayAPI || s.svc.Annotations[translate.AnnotationGateway] == ""
}

// labelServing labels, during a split step, as many ready tasks of each
// revision serving as translate.ServingSplit says (the first by name), and
// takes the label off the others; tasks are labelled before any loses the
// label, so the service never has fewer endpoints than it needs.
func (r *Reconciler) labelServing(ctx context.Context, s *scope) error {
	if !s.splitting() {
		return nil
	}
	l := s.lifecycle
	n := translate.ServingSplit(ptr.Deref(s.svc.Spec.DesiredCount, 0), l.out.Production)
	want := map[string]int32{l.blueHash: n.Blue, s.want.Hash: n.Green}
	pods := make([]*corev1.Pod, 0, len(s.pods))
	for i := range s.pods {
		pods = append(pods, &s.pods[i])
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var add, remove []*corev1.Pod
	for _, p := range pods {
		hash := p.Annotations[ecsv1alpha1.AnnotationTemplateHash]
		serve := p.DeletionTimestamp.IsZero() && taskstate.Ready(p) && want[hash] > 0
		if serve {
			want[hash]--
		}
		switch has := p.Labels[ecsv1alpha1.LabelServing] == "true"; {
		case serve && !has:
			add = append(add, p)
		case !serve && has:
			remove = append(remove, p)
		}
	}
	for _, p := range add {
		if err := r.setServing(ctx, p, true); err != nil {
			return err
		}
	}
	for _, p := range remove {
		if err := r.setServing(ctx, p, false); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) setServing(ctx context.Context, p *corev1.Pod, serve bool) error {
	value := `"true"`
	if !serve {
		value = "null"
	}
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"`+ecsv1alpha1.LabelServing+`":`+value+`}}}`))
	if err := r.Client.Patch(ctx, p, patch, client.FieldOwner(FieldOwner)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("label Pod %s: %w", p.Name, err)
	}
	return nil
}

// podTemplateHash is the pod-template-hash of the tasks of a template
// hash: the value most of them carry.
func podTemplateHash(pods []corev1.Pod, hash string) string {
	count := map[string]int{}
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp.IsZero() && p.Annotations[ecsv1alpha1.AnnotationTemplateHash] == hash && p.Labels[LabelPodTemplateHash] != "" {
			count[p.Labels[LabelPodTemplateHash]]++
		}
	}
	var vals []string
	for v := range count {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool {
		if count[vals[i]] != count[vals[j]] {
			return count[vals[i]] > count[vals[j]]
		}
		return vals[i] < vals[j]
	})
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

// invokeHooks invokes the hooks the pass decided, and those whose CronJob
// appeared, once the replicas and the traffic are applied.
func (r *Reconciler) invokeHooks(ctx context.Context, s *scope) error {
	l := s.lifecycle
	if l.idle() {
		return nil
	}
	runner := r.hookRunner()
	t := hooks.Traffic{Production: l.out.Production, Test: l.out.Test}
	for _, inv := range append(append([]strategy.Invocation(nil), l.out.Invoke...), l.obs.Reinvoke()...) {
		note, err := runner.Invoke(ctx, l.hookDeployment, inv, t)
		if err != nil {
			return err
		}
		logf.FromContext(ctx).Info("Lifecycle hook", "reason", note.Reason, "message", note.Message)
	}
	return nil
}

// listenerServices adds the test listeners' Services to the Kubernetes
// Services of a BLUE_GREEN, LINEAR or CANARY Service, and, during a
// deployment, points the production and test listeners' Services at the
// pod-template-hash of the revision they serve (kept as it is when no task
// of that revision carries one yet).
func (s *scope) listenerServices(want []*corev1ac.ServiceApplyConfiguration, live map[string]*corev1.Service) ([]*corev1ac.ServiceApplyConfiguration, error) {
	var lbs []*corev1ac.ServiceApplyConfiguration
	for _, ks := range want {
		if ks.Labels[translate.LabelRole] == translate.RoleLoadBalancer {
			lbs = append(lbs, ks)
		}
	}
	tests, err := translate.TestListenerServices(s.svc, lbs)
	if err != nil {
		return nil, err
	}
	prod, test := s.pinnedHashes()
	pin := func(ks *corev1ac.ServiceApplyConfiguration, hash string) {
		if !s.pinning() {
			return
		}
		if hash == "" {
			if cur := live[*ks.Name]; cur != nil {
				hash = cur.Spec.Selector[LabelPodTemplateHash]
			}
		}
		if hash != "" {
			ks.Spec.WithSelector(map[string]string{LabelPodTemplateHash: hash})
		}
		if cur := live[*ks.Name]; cur == nil || cur.Spec.Selector[LabelPodTemplateHash] != hash {
			s.pinPending = true
		}
	}
	for _, ks := range lbs {
		if s.splitting() {
			// A step between all blue and all green: the tasks labelled
			// serving (labelServing) are the endpoints.
			ks.Spec.WithSelector(map[string]string{ecsv1alpha1.LabelServing: "true"})
			continue
		}
		pin(ks, prod)
	}
	for _, ks := range tests {
		pin(ks, test)
	}
	revs, err := s.revisionServices(lbs)
	if err != nil {
		return nil, err
	}
	want = append(want, tests...)
	return append(want, revs...), nil
}

// revisionServices are the HTTPRoutes' backends where the cluster serves
// Gateway API: one Service per revision, pointed during a deployment at
// its revision's tasks (none while it has no task).
func (s *scope) revisionServices(lbs []*corev1ac.ServiceApplyConfiguration) ([]*corev1ac.ServiceApplyConfiguration, error) {
	if !s.features.GatewayAPI {
		return nil, nil
	}
	t, hashes, ok := s.traffic()
	if !ok {
		return nil, nil
	}
	revs, err := translate.RevisionServices(s.svc, lbs, t)
	if err != nil {
		return nil, err
	}
	var out []*corev1ac.ServiceApplyConfiguration
	for _, rs := range revs {
		if s.pinning() {
			hash := podTemplateHash(s.pods, hashes[rs.DeploymentID])
			if hash == "" {
				hash = "none"
			}
			rs.Service.Spec.WithSelector(map[string]string{LabelPodTemplateHash: hash})
		}
		out = append(out, rs.Service)
	}
	return out, nil
}

// traffic is how the load balancers' traffic is split now, for the
// HTTPRoutes, and the template hash of each revision it names; ok is
// false when no revision runs.
func (s *scope) traffic() (t translate.Traffic, hashes map[string]string, ok bool) {
	l := s.lifecycle
	if l == nil {
		// A ROLLING service: no route.
		return t, nil, false
	}
	if l.idle() {
		if s.plan.Run == nil {
			return t, nil, false
		}
		return translate.Traffic{Green: s.plan.Run.ID}, map[string]string{s.plan.Run.ID: s.plan.Run.TemplateHash}, true
	}
	if l.out.State.Final() && l.out.State.Rollback != nil {
		// Rolled back: blue serves alone.
		return translate.Traffic{Green: l.blueID}, map[string]string{l.blueID: l.blueHash}, true
	}
	return translate.Traffic{Blue: l.blueID, Green: l.greenID, Production: l.out.Production, Test: l.out.Test},
		map[string]string{l.blueID: l.blueHash, l.greenID: s.want.Hash}, true
}

// reconcileRoutes applies the HTTPRoutes of a BLUE_GREEN, LINEAR or
// CANARY Service with the annotation ecs.berth.dev/gateway, where the
// cluster serves Gateway API, weighted as the lifecycle decided, and
// deletes those no longer asked for.
func (r *Reconciler) reconcileRoutes(ctx context.Context, s *scope) error {
	if !s.features.GatewayAPI {
		return nil
	}
	var want []*gatewayv1ac.HTTPRouteApplyConfiguration
	if t, _, ok := s.traffic(); ok {
		var err error
		if want, err = translate.HTTPRoutes(s.svc, t); err != nil {
			return &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonInvalidParameter,
				Message: fmt.Sprintf("InvalidParameterException: %s", err)}
		}
	}
	var live gatewayv1.HTTPRouteList
	if err := r.Client.List(ctx, &live, client.InNamespace(s.svc.Namespace), client.MatchingLabels(translate.ServiceSelector(s.svc))); err != nil {
		return fmt.Errorf("list HTTPRoutes: %w", err)
	}
	byName := map[string]*gatewayv1.HTTPRoute{}
	for i := range live.Items {
		byName[live.Items[i].Name] = &live.Items[i]
	}
	for _, route := range want {
		applied := translate.AppliedHash(route)
		route.WithAnnotations(map[string]string{AnnotationAppliedHash: applied})
		cur := byName[*route.Name]
		delete(byName, *route.Name)
		if cur != nil && cur.Annotations[AnnotationAppliedHash] == applied {
			continue
		}
		if err := r.Client.Apply(ctx, route, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply HTTPRoute %s: %w", *route.Name, err)
		}
		logf.FromContext(ctx).Info("Applied HTTPRoute", "httpRoute", klog.KRef(s.svc.Namespace, *route.Name))
	}
	for _, stale := range byName {
		if !metav1.IsControlledBy(stale, s.svc) {
			continue
		}
		if err := r.Client.Delete(ctx, stale, client.Preconditions{UID: &stale.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete HTTPRoute %s: %w", stale.Name, err)
		}
		logf.FromContext(ctx).Info("Deleted HTTPRoute", "httpRoute", klog.KObj(stale))
	}
	return nil
}
