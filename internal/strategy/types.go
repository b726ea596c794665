package strategy

import (
	"fmt"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Stage is where a deployment is: ECS's ServiceDeploymentLifecycleStage,
// plus PRE_PRODUCTION_TRAFFIC_SHIFT, a hook stage that ECS runs before each
// production traffic shift but does not report as a lifecycle stage
// (LifecycleStage maps it to PRODUCTION_TRAFFIC_SHIFT).
type Stage string

// The stages, in the order a deployment passes through them.
const (
	StageReconcileService           Stage = "RECONCILE_SERVICE"
	StagePreScaleUp                 Stage = "PRE_SCALE_UP"
	StageScaleUp                    Stage = "SCALE_UP"
	StagePostScaleUp                Stage = "POST_SCALE_UP"
	StageTestTrafficShift           Stage = "TEST_TRAFFIC_SHIFT"
	StagePostTestTrafficShift       Stage = "POST_TEST_TRAFFIC_SHIFT"
	StagePreProductionTrafficShift  Stage = "PRE_PRODUCTION_TRAFFIC_SHIFT"
	StageProductionTrafficShift     Stage = "PRODUCTION_TRAFFIC_SHIFT"
	StagePostProductionTrafficShift Stage = "POST_PRODUCTION_TRAFFIC_SHIFT"
	StageBakeTime                   Stage = "BAKE_TIME"
	StageCleanUp                    Stage = "CLEAN_UP"
)

// LifecycleStage is the stage as ECS reports it in a ServiceDeployment's
// lifecycleStage: ECS's ServiceDeploymentLifecycleStage has no
// PRE_PRODUCTION_TRAFFIC_SHIFT, whose hooks run as part of the production
// traffic shift.
func (s Stage) LifecycleStage() string {
	if s == StagePreProductionTrafficShift {
		return string(StageProductionTrafficShift)
	}
	return string(s)
}

// Whole is the sum of a pair of traffic weights: weights are in tenths of
// a percent, the precision of ECS's stepPercent and canaryPercent.
const Whole int32 = 1000

// Weights splits traffic between the blue (source) and green (target)
// revisions, in tenths of a percent; Blue+Green is Whole. They can be
// HTTPRoute backendRef weights as they are.
type Weights struct {
	Blue  int32 `json:"blue"`
	Green int32 `json:"green"`
}

// AllBlue and AllGreen are all traffic on one revision.
var (
	AllBlue  = Weights{Blue: Whole}
	AllGreen = Weights{Green: Whole}
)

func (w Weights) String() string {
	return fmt.Sprintf("%d.%d/%d.%d", w.Blue/10, w.Blue%10, w.Green/10, w.Green%10)
}

// Replicas is how many tasks each revision should run.
type Replicas struct {
	Blue  int32
	Green int32
}

// Hook is one of deploymentConfiguration.lifecycleHooks, as the machine
// needs it: where it runs, whether it is a PAUSE hook, and its timeout.
// Hooks are identified by their index in the list.
type Hook struct {
	// Stages are the lifecycle stages it runs at.
	Stages []ecsv1alpha1.DeploymentLifecycleHookStage
	// Pause: a PAUSE hook, invoked once and resolved by
	// ContinueServiceDeployment (CONTINUE → SUCCEEDED, ROLLBACK → FAILED);
	// otherwise an AWS_LAMBDA-like hook, invoked again while it answers
	// IN_PROGRESS.
	Pause bool
	// Timeout is how long after its first invocation it may stay
	// unresolved; then TimeoutAction applies.
	Timeout       time.Duration
	TimeoutAction ecsv1alpha1.DeploymentLifecycleHookAction
}

// Config is a deployment's strategy, durations already converted from
// ECS's minutes by the caller (FromDeploymentConfiguration does it with
// ECS's defaults).
type Config struct {
	// Strategy is BLUE_GREEN, LINEAR or CANARY.
	Strategy ecsv1alpha1.DeploymentStrategy
	// Bake is bakeTimeInMinutes: how long blue is kept after production
	// traffic has fully shifted.
	Bake time.Duration
	// StepPercent is LINEAR's stepPercent; CanaryPercent CANARY's
	// canaryPercent.
	StepPercent   float64
	CanaryPercent float64
	// StepBake is LINEAR's stepBakeTimeInMinutes or CANARY's
	// canaryBakeTimeInMinutes: the wait after a production traffic step
	// before the next one.
	StepBake time.Duration
	// Hooks are the lifecycle hooks, in the order of the spec.
	Hooks []Hook
	// CallbackDelay is how long after a hook answers IN_PROGRESS it is
	// invoked again when its answer names no delay (ECS: 30 s).
	CallbackDelay time.Duration
	// StageTimeout is how long a stage may wait for the green tasks (ECS:
	// 24 hours), and a rollback for them to go.
	StageTimeout time.Duration
	// AlarmRollback and CircuitBreakerRollback: whether an alarm in
	// ALARM, or the circuit breaker, rolls the deployment back (otherwise
	// it is STOPPED where it is).
	AlarmRollback          bool
	CircuitBreakerRollback bool
}

// HookStatus is a hook invocation's status: ECS's
// DeploymentLifecycleHookStatus.
type HookStatus string

// Hook statuses. A runner reports IN_PROGRESS, SUCCEEDED or FAILED; the
// machine records AWAITING_ACTION for a PAUSE hook it waits on and
// TIMED_OUT for a hook that did not resolve in time.
const (
	HookInProgress     HookStatus = "IN_PROGRESS"
	HookSucceeded      HookStatus = "SUCCEEDED"
	HookFailed         HookStatus = "FAILED"
	HookAwaitingAction HookStatus = "AWAITING_ACTION"
	HookTimedOut       HookStatus = "TIMED_OUT"
)

// HookKey names one execution of one hook: the stage, the production
// traffic step (0 outside PRE_PRODUCTION_TRAFFIC_SHIFT and
// PRODUCTION_TRAFFIC_SHIFT), the hook's index in Config.Hooks, and whether
// it is the invocation a rollback makes.
type HookKey struct {
	Stage    Stage `json:"stage"`
	Step     int32 `json:"step"`
	Hook     int32 `json:"hook"`
	Rollback bool  `json:"rollback,omitempty"`
}

func (k HookKey) String() string {
	s := fmt.Sprintf("hook %d at %s", k.Hook, k.Stage)
	switch {
	case k.Rollback:
		s += " (rollback)"
	case k.Stage == StagePreProductionTrafficShift || k.Stage == StageProductionTrafficShift:
		s += fmt.Sprintf(" step %d", k.Step+1)
	}
	return s
}

// HookRecord is what the machine remembers of a hook execution of the
// current stage.
type HookRecord struct {
	Key    HookKey    `json:"key"`
	Status HookStatus `json:"status"`
	// Attempts is how many times it was invoked.
	Attempts int32 `json:"attempts"`
	// InvokedAt is the first invocation, LastInvokedAt the latest.
	InvokedAt     time.Time `json:"invokedAt"`
	LastInvokedAt time.Time `json:"lastInvokedAt"`
	// ExpiresAt is when it times out (ECS's lifecycleHookDetails
	// expiresAt).
	ExpiresAt time.Time `json:"expiresAt"`
	// RetryAt is when it is invoked again: set when its latest attempt
	// was first seen answering IN_PROGRESS.
	RetryAt time.Time `json:"retryAt,omitzero"`
}

// Rollback is why and when a deployment started rolling back.
type Rollback struct {
	Reason    string    `json:"reason"`
	StartedAt time.Time `json:"startedAt"`
	// From is the stage it rolled back from.
	From Stage `json:"from"`
	// Production and Test are the weights when it started.
	Production Weights `json:"production"`
	Test       Weights `json:"test"`
}

// State is what the machine remembers of a deployment between passes; the
// controller keeps it in the Service's status and gives it back. The zero
// State is a deployment that has not started.
type State struct {
	// Status is the ServiceDeployment status; "" before the first pass.
	Status ecsv1alpha1.ServiceDeploymentState `json:"status,omitempty"`
	// StatusReason says why it is in its status; Cause what failed it.
	StatusReason string                        `json:"statusReason,omitempty"`
	Cause        ecsv1alpha1.DeploymentFailure `json:"cause,omitempty"`
	// Stage and StageStartedAt: where it is, and since when.
	Stage          Stage     `json:"stage,omitempty"`
	StageStartedAt time.Time `json:"stageStartedAt,omitzero"`
	// Step is the production traffic step (0-based) in
	// PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT.
	Step int32 `json:"step,omitempty"`
	// Production and Test are the traffic weights it decided.
	Production Weights `json:"production"`
	Test       Weights `json:"test"`
	// Hooks are the hook executions of the current stage, in the order
	// they were invoked.
	Hooks []HookRecord `json:"hooks,omitempty"`
	// Rollback is set once it started rolling back.
	Rollback *Rollback `json:"rollback,omitempty"`
	// StartedAt and FinishedAt: its first pass, and when it reached a
	// final status.
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
}

// Final tells whether the deployment has ended.
func (s *State) Final() bool {
	switch s.Status {
	case ecsv1alpha1.ServiceDeploymentSuccessful, ecsv1alpha1.ServiceDeploymentStopped,
		ecsv1alpha1.ServiceDeploymentRollbackSuccessful, ecsv1alpha1.ServiceDeploymentRollbackFailed:
		return true
	}
	return false
}

// HookReport is a hook execution's outcome as its runner reports it.
type HookReport struct {
	Key HookKey
	// Attempt is the invocation it answers (Invocation.Attempt): an
	// IN_PROGRESS answer counts only for the latest one.
	Attempt int32
	// Status is IN_PROGRESS, SUCCEEDED or FAILED (a runner that cannot
	// read a valid answer reports FAILED, as ECS rolls back then).
	Status HookStatus
	// CallbackDelay is the delay an IN_PROGRESS answer asks for before
	// the next invocation; 0 for Config.CallbackDelay.
	CallbackDelay time.Duration
}

// Stop is StopServiceDeployment for this deployment: ROLLBACK or ABORT.
type Stop struct {
	Rollback bool
}

// World is what the controller observed.
type World struct {
	// GreenRunning and GreenReady are the target revision's tasks running
	// and ready (healthy, in the load balancer); BlueRunning the source
	// revision's running tasks.
	GreenRunning int32
	GreenReady   int32
	BlueRunning  int32
	// Hooks are the runners' reports, in any order.
	Hooks []HookReport
	// AlarmsInAlarm are the deployment alarms this deployment watches
	// that are in ALARM.
	AlarmsInAlarm []string
	// CircuitBreakerTripped: the circuit breaker's threshold was reached.
	CircuitBreakerTripped bool
	// Stop is a StopServiceDeployment naming this deployment, if any.
	Stop *Stop
}

// Input is everything a pass decides from.
type Input struct {
	Config Config
	// Service, Deployment and RollbackTo word the events: the service's
	// name, this deployment's id and the deployment a rollback returns to
	// (may be empty).
	Service    string
	Deployment string
	RollbackTo string
	// DesiredCount is the service's desired count.
	DesiredCount int32
	// ReconcileService: more than one service revision was ACTIVE when
	// the deployment started (ECS then passes through RECONCILE_SERVICE).
	ReconcileService bool
	State            State
	World            World
	Now              time.Time
}

// Invocation is a hook to invoke now.
type Invocation struct {
	Key HookKey
	// Attempt numbers the invocations of Key from 1; a runner makes one
	// execution per (Key, Attempt), so that a pass repeated after a lost
	// status write does not run a hook twice.
	Attempt int32
	// Pause: a PAUSE hook (wait for ContinueServiceDeployment).
	Pause bool
}

// Event is a service event, in ECS's wording where ECS's is known.
type Event struct {
	// Reason is the Kubernetes Event's reason; Warning its type.
	Reason  string
	Warning bool
	Text    string
}

// Kubernetes Event reasons.
const (
	ReasonDeploymentFailed    = "DeploymentFailed"
	ReasonRollingBack         = "RollingBack"
	ReasonRollbackFailed      = "RollbackFailed"
	ReasonDeploymentCompleted = "DeploymentCompleted"
)

// Output is a pass's decision.
type Output struct {
	// State is the next state, to store once the rest is applied.
	State State
	// Status and LifecycleStage are the ServiceDeployment's status and
	// lifecycleStage.
	Status         ecsv1alpha1.ServiceDeploymentState
	LifecycleStage string
	// Replicas are the tasks each revision should run.
	Replicas Replicas
	// Production and Test are the traffic weights of the production and
	// the test routes.
	Production Weights
	Test       Weights
	// Invoke are the hooks to invoke, after Replicas and the weights are
	// applied.
	Invoke []Invocation
	// Events are the service events this pass produced.
	Events []Event
	// Entered are the stages the pass entered, in order.
	Entered []Stage
	// Recheck is when time alone changes the decision: zero when only
	// the world can, Now when the pass stopped after a production traffic
	// change that must be applied before the next one.
	Recheck time.Time
}
