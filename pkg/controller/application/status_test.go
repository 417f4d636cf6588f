package application

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestMergeConditions(t *testing.T) {
	earlier := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(earlier.Add(time.Hour))
	condition := func(conditionType v1alpha1.ApplicationConditionType, message string, at metav1.Time) v1alpha1.ApplicationCondition {
		return v1alpha1.ApplicationCondition{Type: conditionType, Message: message, LastTransitionTime: &at}
	}
	existing := []v1alpha1.ApplicationCondition{
		condition(v1alpha1.ApplicationConditionDeletionError, "cannot delete", earlier),
		condition(v1alpha1.ApplicationConditionSharedResourceWarning, "ConfigMap/a is part of applications x/a and x/b", earlier),
		condition(v1alpha1.ApplicationConditionRepeatedResourceWarning, "Resource /ConfigMap/web/a appeared 2 times among application resources.", earlier),
		condition(v1alpha1.ApplicationConditionOrphanedResourceWarning, "Application has 2 orphaned resources", earlier),
	}
	fresh := []v1alpha1.ApplicationCondition{
		{Type: v1alpha1.ApplicationConditionOrphanedResourceWarning, Message: "Application has 2 orphaned resources"},
	}
	got := mergeConditions(existing, fresh, now)
	want := []v1alpha1.ApplicationCondition{
		condition(v1alpha1.ApplicationConditionDeletionError, "cannot delete", earlier),
		condition(v1alpha1.ApplicationConditionOrphanedResourceWarning, "Application has 2 orphaned resources", earlier),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings that are fixed must clear, unchanged ones keep their time, others stay:\n got %v\nwant %v", got, want)
	}
}
