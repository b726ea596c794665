package conditions

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestSummarize(t *testing.T) {
	var conds []metav1.Condition
	Summarize(&conds, 3, Progressing, "RolloutInProgress", "1 of 2 tasks running")
	if !IsTrue(conds, ecsv1alpha1.ConditionReconciling) || IsTrue(conds, ecsv1alpha1.ConditionReady) {
		t.Fatalf("progressing: %+v", conds)
	}
	Summarize(&conds, 4, Stalled, "ClusterNotFound", "no cluster")
	if meta.FindStatusCondition(conds, ecsv1alpha1.ConditionReconciling) != nil {
		t.Fatal("Reconciling must be removed once not true")
	}
	if c := meta.FindStatusCondition(conds, ecsv1alpha1.ConditionStalled); c == nil || c.ObservedGeneration != 4 {
		t.Fatalf("stalled: %+v", conds)
	}
	Summarize(&conds, 5, Ready, "SteadyState", "ok")
	if len(conds) != 1 || !IsTrue(conds, ecsv1alpha1.ConditionReady) || conds[0].ObservedGeneration != 5 {
		t.Fatalf("ready: %+v", conds)
	}
}
