// Package autoscaling is Application Auto Scaling's behaviour for ECS
// services, as pure functions of a ScalableTarget, what was observed and the
// time: the capacity range in force, step scaling with its cooldowns,
// scheduled actions, and the scaling activities that describe what was
// done (a step policy's alarms are evaluated by internal/alarms). It has no
// client and no clock; the scalabletarget controller supplies both.
package autoscaling
