// Package strategy is ECS's BLUE_GREEN, LINEAR and CANARY deployment of
// one service, as a pure state machine: Step takes the strategy, the
// desired count, the deployment's State (kept by the controller in the
// Service's status), what the world reports (green and blue tasks, hook
// outcomes, alarms in ALARM, the circuit breaker, StopServiceDeployment)
// and the time, and returns the next State, the replicas of blue (the
// source revision) and green (the target revision), the production and
// test traffic weights, the hooks to invoke, the service events, the
// ServiceDeployment's status and lifecycleStage, and when to call it again.
// No client, no clock: durations come in the Config, converted from ECS's
// minutes by the caller (FromDeploymentConfiguration, with the length of
// a minute as a parameter so that tests can shorten it).
//
// # What ECS does, and where it says so
//
// Stages. All three strategies pass through the same stages, in this
// order: RECONCILE_SERVICE (only when more than one service revision is
// ACTIVE as the deployment starts), PRE_SCALE_UP, SCALE_UP (green scales
// to 100% of the desired count and serves no traffic), POST_SCALE_UP
// (green started and healthy), TEST_TRAFFIC_SHIFT (test traffic goes from
// blue to green; production stays on blue), POST_TEST_TRAFFIC_SHIFT,
// PRE_PRODUCTION_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
// POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME (blue and green both run) and
// CLEAN_UP (blue scaled to 0; green is production afterwards). So green is
// scaled to full size before any traffic moves, in LINEAR and CANARY too.
// Hooks can run at every stage but SCALE_UP, BAKE_TIME and CLEAN_UP.
// Sources: the developer guide's "Amazon ECS blue/green service deployments
// workflow" (blue-green-deployment-how-it-works), "Amazon ECS linear
// deployments" (deployment-type-linear) and "Amazon ECS canary deployments"
// (canary-deployment), each with its table of lifecycle stages; the API
// reference's ServiceDeployment.lifecycleStage and
// DeploymentLifecycleHook.lifecycleStages (models/ecs/service-2.json).
//
// Production traffic. BLUE_GREEN shifts all production traffic at once
// ("an immediate (all-at-once) shift where 100% of the traffic is moved",
// blue-green-deployment-how-it-works). LINEAR shifts stepPercent more at
// each step (10%, 20%, 30% … in the guide's example), waits
// stepBakeTimeInMinutes between steps and not after the last one ("last
// step bake time is skipped once traffic is shifted 100.0%",
// deployment-type-linear; "This bake time is not applied after reaching 100
// percent traffic", API LinearConfiguration); when stepPercent does not
// divide 100, the last step takes the rest (CloudFormation's
// LinearConfiguration counts floor(100/stepPercent) waits). CANARY shifts
// canaryPercent, waits canaryBakeTimeInMinutes, then shifts the rest
// ("Step 1: 10.0% to green, 90.0% to blue; Step 2: 100.0% to green",
// canary-deployment). Then all three keep blue for bakeTimeInMinutes
// ("the time Amazon ECS waits after shifting all production traffic to the
// new service revision, before it terminates the old service revision")
// and scale it in. Weights are in tenths of a percent (Whole = 1000):
// ECS's percentages are multiples of 0.1.
//
// Defaults and limits (API LinearConfiguration, CanaryConfiguration,
// DeploymentLifecycleHookTimeoutConfiguration): stepPercent 3.0–100,
// default 10; stepBakeTimeInMinutes 0–1440, default 6; canaryPercent
// 0.1–100, default 5; canaryBakeTimeInMinutes 0–1440, default 10;
// bakeTimeInMinutes 0–1440; a hook's timeoutInMinutes 1–20160, default 1440,
// its action ROLLBACK (default) or CONTINUE. A PAUSE hook cannot be at
// TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT (API
// DeploymentLifecycleHook.lifecycleStages).
//
// Hooks ("Lambda hooks for Amazon ECS service deployments",
// lambda-lifecycle-hooks): a hook answers SUCCEEDED (the deployment
// continues to the next stage), FAILED (ECS rolls back; also when the
// answer is not a valid hookStatus) or IN_PROGRESS (ECS invokes it again
// after a delay, 30 seconds by default, or the callBackDelay the answer
// gives). A hook that has not answered SUCCEEDED or FAILED when its
// timeout expires gets its timeout action. All hooks at a stage must
// complete before the deployment goes on ("Lifecycle hooks for Amazon ECS
// service deployments": both a Lambda and a pause hook at one stage must
// complete). Hooks at PRE_PRODUCTION_TRAFFIC_SHIFT and
// PRODUCTION_TRAFFIC_SHIFT run at every production traffic step of LINEAR
// and CANARY, once for BLUE_GREEN (API DeploymentLifecycleHook, the stage
// tables). A PAUSE hook waits for ContinueServiceDeployment (CONTINUE or
// ROLLBACK, API ContinueServiceDeployment); it is not invoked again. There
// is no rollback stage: during a rollback ECS invokes again the hooks at
// PRODUCTION_TRAFFIC_SHIFT and TEST_TRAFFIC_SHIFT, with weights back on
// blue (lambda-lifecycle-hooks, "Lifecycle hooks during rollback"; also
// aws/aws-cdk#36764).
//
// Stage limit: "The system times out, fails the deployment, and then
// initiates a rollback after a stage reaches 24 hours" (the stage tables'
// introduction). Berth applies Config.StageTimeout to the wait for green's
// tasks in SCALE_UP and to a rollback's wait for them to go (then
// ROLLBACK_FAILED); hook waits have their own timeouts and bakes their own
// lengths.
//
// Rollback: a hook FAILED or timing out with ROLLBACK, an alarm in ALARM
// or the circuit breaker with rollback, or StopServiceDeployment ROLLBACK
// ("You can use this option even if you didn't configure the service
// deployment for the rollback option", API StopServiceDeployment), at any
// stage up to the end of BAKE_TIME, switch production and test traffic
// back to blue. Blue's tasks ran all along ("the blue revision is kept
// running until the bake time expires", deployment-type-linear), so no task
// starts; green is then scaled in and the deployment is
// ROLLBACK_SUCCESSFUL once its tasks are gone. The event for a failed hook
// is ECS's "deployment failed: hook execution failure(s) detected."
// (aws/containers-roadmap#2664); the alarm, circuit breaker and stop
// wordings are those internal/rollout uses for a rolling deployment.
//
// # Berth's choices where ECS says nothing
//
//   - A failure without rollback (an alarm or the circuit breaker with
//     rollback false, or StopServiceDeployment ABORT) makes the deployment
//     STOPPED where it is: stage, replicas and weights stay as they were
//     (ECS's ServiceDeployment.stoppedAt: "the rollback option is not in use
//     … and the service fails"); nothing is said of traffic.
//   - LINEAR and CANARY's step bake counts from the step's shift; the next
//     step also waits for the step's PRODUCTION_TRAFFIC_SHIFT hooks.
//   - A pass stops after a traffic change and asks to be called again at
//     once, so that each production step is applied (and can be observed on
//     the HTTPRoute) before the next, and green scales in only after traffic
//     is back on blue.
//   - The hooks a rollback invokes again are invoked once each, and only
//     where that traffic had moved to green; their answers do not hold the
//     rollback.
//   - The 30 s callback delay is half of the caller's minute, so that it
//     shortens with the other durations.
//   - Once in CLEAN_UP (after the bake) nothing rolls back.
//   - A lambda hook's timeout may be up to 20160 minutes, the API's limit,
//     although the Lambda hooks page says 1440.
//   - The reported lifecycleStage during PRE_PRODUCTION_TRAFFIC_SHIFT is
//     PRODUCTION_TRAFFIC_SHIFT; during a rollback it is
//     PRODUCTION_TRAFFIC_SHIFT while traffic returns to blue, then CLEAN_UP
//     while green scales in.
//
// # What the controller does with it
//
// It keeps State in the Service's status (per deployment), gives it back
// with the world it observed and the time, applies Output.Replicas (the
// Kubernetes Deployments of blue and green) and Output.Production and
// Output.Test (the production and test HTTPRoute weights, or Service
// selectors), then invokes Output.Invoke, records Output.Events, and only
// then stores Output.State, requeueing at Output.Recheck. A runner makes
// one execution per (Invocation.Key, Invocation.Attempt), so that a pass
// repeated after a lost status write does not run a hook twice, and
// reports its outcome as a HookReport with that attempt.
package strategy
