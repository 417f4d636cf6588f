package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// MaxStatusResources bounds status.resources of one Application, keeping the
// object far below etcd's request size limit; detail beyond it is served by the
// diff subresource.
const MaxStatusResources = 5000

// MaxStatusConditions bounds status.conditions of one Application.
const MaxStatusConditions = 100

// ValidateObjectMetaUpdate checks the metadata rules every update must keep.
func ValidateObjectMetaUpdate(newObj, oldObj metav1.Object) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaAccessorUpdate(newObj, oldObj, field.NewPath("metadata"))
}

// ValidateApplicationStatusUpdate checks a write to applications/status.
func ValidateApplicationStatusUpdate(newApp, oldApp *capstan.Application) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(newApp, oldApp)
	status := field.NewPath("status")
	if n := len(newApp.Status.Resources); n > MaxStatusResources {
		allErrs = append(allErrs, field.TooMany(status.Child("resources"), n, MaxStatusResources))
	}
	if n := len(newApp.Status.Conditions); n > MaxStatusConditions {
		allErrs = append(allErrs, field.TooMany(status.Child("conditions"), n, MaxStatusConditions))
	}
	if limit := historyLimit(newApp); len(newApp.Status.History) > limit {
		allErrs = append(allErrs, field.TooMany(status.Child("history"), len(newApp.Status.History), limit))
	}
	return allErrs
}

// historyLimit is the Application's revisionHistoryLimit, or Argo CD's default of 10.
func historyLimit(app *capstan.Application) int {
	if app.Spec.RevisionHistoryLimit != nil {
		return int(*app.Spec.RevisionHistoryLimit)
	}
	return 10
}

// ValidateApplicationSetStatusUpdate checks a write to applicationsets/status.
func ValidateApplicationSetStatusUpdate(newAppSet, oldAppSet *capstan.ApplicationSet) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(newAppSet, oldAppSet)
	status := field.NewPath("status")
	if n := len(newAppSet.Status.Resources); n > MaxStatusResources {
		allErrs = append(allErrs, field.TooMany(status.Child("resources"), n, MaxStatusResources))
	}
	if n := len(newAppSet.Status.ApplicationStatus); n > MaxStatusResources {
		allErrs = append(allErrs, field.TooMany(status.Child("applicationStatus"), n, MaxStatusResources))
	}
	if n := len(newAppSet.Status.Conditions); n > MaxStatusConditions {
		allErrs = append(allErrs, field.TooMany(status.Child("conditions"), n, MaxStatusConditions))
	}
	return allErrs
}
