package strategy

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// ECS's defaults and limits (API reference: LinearConfiguration,
// CanaryConfiguration, DeploymentLifecycleHookTimeoutConfiguration; the
// developer guide's lifecycle stage tables and Lambda hooks page).
const (
	DefaultStepPercent       = 10.0
	DefaultStepBakeMinutes   = 6
	DefaultCanaryPercent     = 5.0
	DefaultCanaryBakeMinutes = 10
	DefaultHookTimeoutMin    = 1440
	MaxHookTimeoutMin        = 20160
	MaxBakeMinutes           = 1440
	StageTimeoutMinutes      = 1440
	MinStepPercent           = 3.0
	MinCanaryPercent         = 0.1
)

// FromDeploymentConfiguration reads a Service's deploymentConfiguration
// with ECS's defaults. minute is how long one of ECS's minutes lasts:
// time.Minute, or less where a test shortens time; the 30 s callback delay
// is half of it. It refuses a strategy other than BLUE_GREEN, LINEAR or
// CANARY and values out of ECS's ranges.
func FromDeploymentConfiguration(dc *ecsv1alpha1.DeploymentConfiguration, minute time.Duration) (Config, error) {
	if dc == nil {
		return Config{}, errors.New("deploymentConfiguration: required for a BLUE_GREEN, LINEAR or CANARY deployment")
	}
	c := Config{
		Strategy:      dc.Strategy,
		CallbackDelay: minute / 2,
		StageTimeout:  StageTimeoutMinutes * minute,
	}
	bake, err := minutes("bakeTimeInMinutes", dc.BakeTimeInMinutes, 0, MaxBakeMinutes)
	if err != nil {
		return Config{}, err
	}
	c.Bake = time.Duration(bake) * minute
	if err := c.readStrategy(dc, minute); err != nil {
		return Config{}, err
	}
	for i := range dc.LifecycleHooks {
		h, err := hook(&dc.LifecycleHooks[i], minute)
		if err != nil {
			return Config{}, fmt.Errorf("lifecycleHooks[%d]: %w", i, err)
		}
		c.Hooks = append(c.Hooks, h)
	}
	if a := dc.Alarms; a != nil && a.Enable {
		c.AlarmRollback = a.Rollback
	}
	if b := dc.DeploymentCircuitBreaker; b != nil && b.Enable {
		c.CircuitBreakerRollback = b.Rollback
	}
	return c, nil
}

func (c *Config) readStrategy(dc *ecsv1alpha1.DeploymentConfiguration, minute time.Duration) error {
	switch dc.Strategy {
	case ecsv1alpha1.DeploymentStrategyBlueGreen:
	case ecsv1alpha1.DeploymentStrategyLinear:
		c.StepPercent = DefaultStepPercent
		bake := int32(DefaultStepBakeMinutes)
		if l := dc.LinearConfiguration; l != nil {
			if l.StepPercent != nil {
				c.StepPercent = *l.StepPercent
			}
			if l.StepBakeTimeInMinutes != nil {
				bake = *l.StepBakeTimeInMinutes
			}
		}
		if err := percent("linearConfiguration.stepPercent", c.StepPercent, MinStepPercent); err != nil {
			return err
		}
		m, err := minutes("linearConfiguration.stepBakeTimeInMinutes", &bake, 0, MaxBakeMinutes)
		if err != nil {
			return err
		}
		c.StepBake = time.Duration(m) * minute
	case ecsv1alpha1.DeploymentStrategyCanary:
		c.CanaryPercent = DefaultCanaryPercent
		bake := int32(DefaultCanaryBakeMinutes)
		if k := dc.CanaryConfiguration; k != nil {
			if k.CanaryPercent != nil {
				c.CanaryPercent = *k.CanaryPercent
			}
			if k.CanaryBakeTimeInMinutes != nil {
				bake = *k.CanaryBakeTimeInMinutes
			}
		}
		if err := percent("canaryConfiguration.canaryPercent", c.CanaryPercent, MinCanaryPercent); err != nil {
			return err
		}
		m, err := minutes("canaryConfiguration.canaryBakeTimeInMinutes", &bake, 0, MaxBakeMinutes)
		if err != nil {
			return err
		}
		c.StepBake = time.Duration(m) * minute
	default:
		return fmt.Errorf("strategy: %q is not BLUE_GREEN, LINEAR or CANARY", dc.Strategy)
	}
	return nil
}

func hook(h *ecsv1alpha1.DeploymentLifecycleHook, minute time.Duration) (Hook, error) {
	out := Hook{
		Stages:        slices.Clone(h.LifecycleStages),
		Pause:         h.TargetType == ecsv1alpha1.DeploymentLifecycleHookTargetTypePause,
		TimeoutAction: ecsv1alpha1.DeploymentLifecycleHookActionRollback,
	}
	timeout := int32(DefaultHookTimeoutMin)
	if t := h.TimeoutConfiguration; t != nil {
		if t.TimeoutInMinutes != nil {
			timeout = *t.TimeoutInMinutes
		}
		if t.Action != "" {
			out.TimeoutAction = t.Action
		}
	}
	m, err := minutes("timeoutConfiguration.timeoutInMinutes", &timeout, 1, MaxHookTimeoutMin)
	if err != nil {
		return Hook{}, err
	}
	out.Timeout = time.Duration(m) * minute
	if out.Pause {
		for _, s := range out.Stages {
			if s == ecsv1alpha1.DeploymentLifecycleHookStageTestTrafficShift || s == ecsv1alpha1.DeploymentLifecycleHookStageProductionTrafficShift {
				return Hook{}, fmt.Errorf("lifecycleStages: a PAUSE hook cannot run at %s", s)
			}
		}
	}
	return out, nil
}

func minutes(field string, v *int32, lo, hi int32) (int32, error) {
	if v == nil {
		return 0, nil
	}
	if *v < lo || *v > hi {
		return 0, fmt.Errorf("%s: %d is not between %d and %d", field, *v, lo, hi)
	}
	return *v, nil
}

func percent(field string, v, lo float64) error {
	if math.IsNaN(v) || v < lo || v > 100 {
		return fmt.Errorf("%s: %g is not between %g and 100", field, v, lo)
	}
	return nil
}

// tenths converts a percentage to tenths of a percent, within [lo, Whole].
func tenths(p float64, lo int32) int32 {
	if math.IsNaN(p) {
		return Whole
	}
	t := int32(math.Round(math.Min(math.Max(p, 0), 100) * 10))
	return min(max(t, lo), Whole)
}

// Steps are the production weights of the traffic shift's steps, in
// order, the last one all green: one step for BLUE_GREEN; for LINEAR
// stepPercent more each step, the last taking what remains; for CANARY
// canaryPercent, then the rest. Percentages are rounded to a tenth and
// kept within ECS's ranges.
func (c *Config) Steps() []Weights {
	var green []int32
	switch c.Strategy {
	case ecsv1alpha1.DeploymentStrategyLinear:
		step := tenths(c.StepPercent, int32(MinStepPercent*10))
		for g := step; g < Whole; g += step {
			green = append(green, g)
		}
	case ecsv1alpha1.DeploymentStrategyCanary:
		if g := tenths(c.CanaryPercent, int32(MinCanaryPercent*10)); g < Whole {
			green = append(green, g)
		}
	}
	green = append(green, Whole)
	out := make([]Weights, len(green))
	for i, g := range green {
		out[i] = Weights{Blue: Whole - g, Green: g}
	}
	return out
}

// hooksAt are the indexes of the hooks that run at s.
func (c *Config) hooksAt(s Stage) []int32 {
	var out []int32
	for i := range c.Hooks {
		if slices.Contains(c.Hooks[i].Stages, ecsv1alpha1.DeploymentLifecycleHookStage(s)) {
			out = append(out, int32(i))
		}
	}
	return out
}
