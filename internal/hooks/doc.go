// Package hooks gives an ECS deployment lifecycle hook (an AWS_LAMBDA
// hook, whose hookTargetArn is a Lambda function ARN) a Kubernetes
// meaning: a Job made from a CronJob used as a template, whose outcome is
// the hook's answer. internal/strategy decides when hooks run; this
// package runs them and reads their answers. docs/hooks.md is the guide
// for the platform teams that write hooks.
//
// # What a hook is in Berth
//
// Target. arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
// names the CronJob <name> (lower-cased, '_' → '-', names.ObjectName) in
// the Service's namespace. The CronJob is a template (the platform team
// keeps it suspend: true); its region, account and qualifier are not
// read. A CronJob that does not exist is waited for, as a hook that has
// not answered: the deployment stays at the hook's stage until the
// CronJob appears (Observed.Reinvoke, and a watch on CronJobs backed by
// IndexCronJobs) or the hook's timeout applies its action (ROLLBACK by
// default, or CONTINUE). An ARN that is not a Lambda function ARN is
// waited on the same way, with its own reason: ECS refuses such a
// service, Berth's CRD does not, and the timeout ends it.
//
// Invocation. One Job per (hook execution, attempt) — strategy.Invocation
// — named by names.HookJob from the Service, the deployment, the HookKey
// and the attempt; making it again (AlreadyExists, or found by an earlier
// pass) is success, so a pass repeated after a lost status write runs
// nothing twice. The Job is what kubectl create job --from=cronjob/<name>
// makes, plus: the event in ECS_LIFECYCLE_HOOK_EVENT in every container
// and in the annotation ecs.berth.dev/hook-event; Berth's labels (by
// Service and deployment, for listing); ttlSecondsAfterFinished (the
// template's, or an hour); and the Service as owner (not controller), so
// that deleting the Service deletes its hook Jobs.
//
// Event. The payload ECS gives the Lambda function ("Lambda hooks for
// Amazon ECS service deployments", lambda-lifecycle-hooks, "Lifecycle
// payloads"): executionId, lifecycleStage, resourceArn (the service
// deployment's ARN), executionDetails (serviceArn,
// targetServiceRevisionArn, testTrafficWeights and
// productionTrafficWeights, revision ARN → percent, filled at the stages
// where ECS's examples fill them), and hookDetails (the hook's, merged
// with those of the previous invocation's IN_PROGRESS answer, as "Passing
// state with hookDetails" says). Service revisions are Berth's, one per
// deployment (names.Account.ServiceRevisionArn).
//
// Outcome. A running Job has no outcome yet: the state machine waits, up
// to the hook's timeout. A failed Job is FAILED ("if it fails, Amazon ECS
// rolls back"). A complete Job's answer is the Lambda function's response,
// {"hookStatus": "SUCCEEDED"|"FAILED"|"IN_PROGRESS", "callBackDelay": N,
// "hookDetails": {...}}, written by a container as its termination
// message (terminationMessagePath, /dev/termination-log); a complete Job
// whose containers wrote none is SUCCEEDED; an answer that does not parse
// is FAILED ("If your function doesn't return a valid hookStatus ... Amazon
// ECS rolls back the deployment"). IN_PROGRESS makes the state machine
// invoke the hook again after callBackDelay seconds (ECS's 30 s by
// default, strategy.Config.CallbackDelay): a new Job, attempt n+1.
//
// # What the Service controller does with it
//
// Each pass, for a deployment run by internal/strategy:
//
//  1. obs, err := runner.Reports(ctx, d, hooks.Awaiting(&state)); the
//     World's Hooks are obs.Reports.
//  2. strategy.Step; then, after applying replicas and weights, Invoke
//     each of Output.Invoke and each of obs.Reinvoke() with the pass's
//     Traffic; a waiting Note (CronJob missing) is the Service's message
//     while the hook waits, not an error.
//  3. runner.Cleanup(ctx, svc, <ids of the deployments in progress>) once
//     a deployment ends; again later while it says more.
//
// Watches: Jobs, mapped to their Service by the ecs.berth.dev/hook-service
// label or by owner (the owner reference is not a controller reference, so
// Owns() does not see it: use handler.EnqueueRequestForOwner without
// OnlyControllerOwner); CronJobs, mapped to the Services whose hooks name
// them through the IndexCronJobs field index (CronJobsOf). The hook pods
// are not in Berth's pod cache (it holds the pods labelled
// app.kubernetes.io/managed-by: berth, the tasks'; hook pods do not carry
// it, so that no task view counts them): Runner.Reader is the manager's
// APIReader, read only for a completed Job whose answer is awaited.
//
// RBAC (markers in controllers/service): batch jobs get, list, watch, create and delete; batch
// cronjobs get, list and watch; pods get and list (already granted).
package hooks
