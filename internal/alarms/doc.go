// Package alarms is Berth's one CloudWatch alarm evaluator, used by both
// MetricAlarm objects (controllers/metricalarm) and a ScalableTarget's
// inline step scaling alarms (controllers/scalabletarget): when a datapoint
// is due, the window of the last evaluationPeriods datapoints (kept in
// memory, Windows), the read of a metric Berth publishes (Reader, the same
// figures internal/ecsmetrics computes for the CloudWatch API) and the
// evaluation itself (Evaluate, with CloudWatch's reasons). It also holds
// what other controllers need of MetricAlarms: their names (Name), the
// alarms in ALARM among those a Service names (InAlarm), and the
// declarative SetAlarmState (Requested).
//
// Everything but Reader and Named is pure: no client, no clock; callers
// pass the time.
package alarms
