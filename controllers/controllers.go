// Package controllers wires Berth's controllers: the one list of them.
package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/berth-dev/berth/controllers/capacityprovider"
	"github.com/berth-dev/berth/controllers/cluster"
	"github.com/berth-dev/berth/controllers/service"
	"github.com/berth-dev/berth/controllers/servicetask"
	"github.com/berth-dev/berth/controllers/task"
	"github.com/berth-dev/berth/controllers/taskdefinition"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/translate"
)

// Config is the operator's configuration.
type Config struct {
	// Account is the region and account ID of the ARNs Berth reports.
	Account names.Account
	// MaxConcurrentReconciles per controller (default 4).
	MaxConcurrentReconciles int
	// SkipNameValidation lets tests run several managers in one process.
	SkipNameValidation bool
	// StoppedTaskTTL is how long STOPPED Tasks stay (default 1 h; negative:
	// kept).
	StoppedTaskTTL time.Duration
}

// Setup registers the field indexes and every controller with mgr.
func Setup(ctx context.Context, mgr ctrl.Manager, cfg Config) error {
	if err := resolve.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if cfg.Account == (names.Account{}) {
		cfg.Account = names.DefaultAccount
	}
	conc := cfg.MaxConcurrentReconciles
	if conc <= 0 {
		conc = 4
	}
	opts := controller.Options{MaxConcurrentReconciles: conc, SkipNameValidation: &cfg.SkipNameValidation}
	tcfg := translate.Config{Account: cfg.Account}
	c := mgr.GetClient()
	clk := clock.RealClock{}
	reconcilers := []interface{ SetupWithManager(ctrl.Manager) error }{
		&taskdefinition.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-taskdefinition"), Clock: clk, Account: cfg.Account, Options: opts},
		&service.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-service"), Config: tcfg, Options: opts},
		&task.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-task"), Clock: clk, Config: tcfg, Options: opts, StoppedTaskTTL: cfg.StoppedTaskTTL},
		&servicetask.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-service"), Clock: clk, Options: opts},
		&cluster.Reconciler{Client: c, Account: cfg.Account, Options: opts},
		&capacityprovider.Reconciler{Client: c, Account: cfg.Account, Options: opts},
	}
	for _, r := range reconcilers {
		if err := r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("set up %T: %w", r, err)
		}
	}
	return nil
}
