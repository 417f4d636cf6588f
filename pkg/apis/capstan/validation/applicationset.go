package validation

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/diff/ignorepath"
)

// The ApplicationSet rules mirror what Argo CD refuses at admission (its CRD
// schema) plus the shape rules its controller enforces on every reconcile
// (one generator per entry, matrix and merge arity, nesting depth), so that a
// manifest Argo CD would only fail on later is refused up front. The template
// is checked no further than its types: any string in it may be a parameter
// ({{...}}) and templatePatch may supply the rest, so project, destination and
// source are not required here; the generated Applications are validated when
// the controller creates them.

// appSetGoTemplateOptions are the text/template options Argo CD accepts.
var appSetGoTemplateOptions = []string{"missingkey=error", "missingkey=zero", "missingkey=default", "missingkey=invalid"}

var appSetSyncPolicies = []capstan.ApplicationsSyncPolicy{
	capstan.ApplicationsSyncPolicyCreateOnly,
	capstan.ApplicationsSyncPolicyCreateUpdate,
	capstan.ApplicationsSyncPolicyCreateDelete,
	capstan.ApplicationsSyncPolicySync,
}

var (
	appSetStrategyTypes  = []string{capstan.ApplicationSetStrategyTypeAllAtOnce, capstan.ApplicationSetStrategyTypeRollingSync}
	appSetDeletionOrders = []string{capstan.ApplicationSetDeletionOrderAllAtOnce, capstan.ApplicationSetDeletionOrderReverse}
	appSetMatchOperators = []string{capstan.ApplicationMatchOperatorIn, capstan.ApplicationMatchOperatorNotIn}
)

// appSetPercentage matches the only string form maxUpdate accepts, as in Argo CD.
var appSetPercentage = regexp.MustCompile(`^[0-9]+%$`)

// ValidateApplicationSet checks an ApplicationSet on create.
func ValidateApplicationSet(appSet *capstan.ApplicationSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&appSet.ObjectMeta, true,
		apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateApplicationSetSpec(&appSet.Spec, field.NewPath("spec"))...)
}

// ValidateApplicationSetUpdate checks an ApplicationSet on update. The spec has
// no immutable fields; it must simply be valid.
func ValidateApplicationSetUpdate(newObj, oldObj *capstan.ApplicationSet) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(newObj, oldObj)
	return append(allErrs, validateApplicationSetSpec(&newObj.Spec, field.NewPath("spec"))...)
}

func validateApplicationSetSpec(spec *capstan.ApplicationSetSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.Generators) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("generators"), "at least one generator is required"))
	}
	for i := range spec.Generators {
		allErrs = append(allErrs, validateGenerator(topLevelGenerator(&spec.Generators[i]), fldPath.Child("generators").Index(i))...)
	}
	for i, option := range spec.GoTemplateOptions {
		if !slices.Contains(appSetGoTemplateOptions, option) {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("goTemplateOptions").Index(i), option, appSetGoTemplateOptions))
		}
	}
	if spec.TemplatePatch != nil && *spec.TemplatePatch != "" && !spec.GoTemplate {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("templatePatch"), "templatePatch requires goTemplate: true"))
	}
	allErrs = append(allErrs, validateTemplateRepoURLs(&spec.Template.Spec, fldPath.Child("template", "spec"))...)
	if spec.SyncPolicy != nil {
		allErrs = append(allErrs, validateApplicationSetSyncPolicy(spec.SyncPolicy, fldPath.Child("syncPolicy"))...)
	}
	if spec.Strategy != nil {
		allErrs = append(allErrs, validateApplicationSetStrategy(spec.Strategy, fldPath.Child("strategy"))...)
	}
	for i := range spec.IgnoreApplicationDifferences {
		allErrs = append(allErrs, validateApplicationSetIgnoreDifferences(&spec.IgnoreApplicationDifferences[i],
			fldPath.Child("ignoreApplicationDifferences").Index(i))...)
	}
	return allErrs
}

// validateTemplateRepoURLs checks the repoURLs of the template's sources
// that hold no parameter for a fragment, a password, a query or dot segments.
func validateTemplateRepoURLs(spec *capstan.ApplicationSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Source != nil {
		allErrs = append(allErrs, validateTemplatedRepoURL(spec.Source.RepoURL, fldPath.Child("source", "repoURL"))...)
	}
	for i := range spec.Sources {
		allErrs = append(allErrs, validateTemplatedRepoURL(spec.Sources[i].RepoURL, fldPath.Child("sources").Index(i).Child("repoURL"))...)
	}
	return allErrs
}

func validateApplicationSetSyncPolicy(policy *capstan.ApplicationSetSyncPolicy, fldPath *field.Path) field.ErrorList {
	if policy.ApplicationsSync == nil || slices.Contains(appSetSyncPolicies, *policy.ApplicationsSync) {
		return nil
	}
	return field.ErrorList{field.NotSupported(fldPath.Child("applicationsSync"), *policy.ApplicationsSync, appSetSyncPolicies)}
}

func validateApplicationSetStrategy(strategy *capstan.ApplicationSetStrategy, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if strategy.Type != "" && !slices.Contains(appSetStrategyTypes, strategy.Type) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), strategy.Type, appSetStrategyTypes))
	}
	if strategy.DeletionOrder != "" && !slices.Contains(appSetDeletionOrders, strategy.DeletionOrder) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("deletionOrder"), strategy.DeletionOrder, appSetDeletionOrders))
	}
	if strategy.RollingSync == nil {
		return allErrs
	}
	stepsPath := fldPath.Child("rollingSync", "steps")
	for i, step := range strategy.RollingSync.Steps {
		for j, expr := range step.MatchExpressions {
			if !slices.Contains(appSetMatchOperators, expr.Operator) {
				allErrs = append(allErrs, field.NotSupported(stepsPath.Index(i).Child("matchExpressions").Index(j).Child("operator"),
					expr.Operator, appSetMatchOperators))
			}
		}
		if step.MaxUpdate != nil {
			allErrs = append(allErrs, validateAppSetMaxUpdate(*step.MaxUpdate, stepsPath.Index(i).Child("maxUpdate"))...)
		}
	}
	return allErrs
}

// validateAppSetMaxUpdate accepts a non-negative integer or a non-negative percentage.
func validateAppSetMaxUpdate(maxUpdate intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	switch maxUpdate.Type {
	case intstr.Int:
		if maxUpdate.IntVal < 0 {
			return field.ErrorList{field.Invalid(fldPath, maxUpdate.IntVal, "must be a non-negative integer or percentage")}
		}
	case intstr.String:
		if !appSetPercentage.MatchString(maxUpdate.StrVal) {
			return field.ErrorList{field.Invalid(fldPath, maxUpdate.StrVal, "must be a non-negative integer or a percentage such as \"25%\"")}
		}
	}
	return nil
}

func validateApplicationSetIgnoreDifferences(rule *capstan.ApplicationSetResourceIgnoreDifferences, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, pointer := range rule.JSONPointers {
		if err := validateAppSetJSONPointer(pointer); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("jsonPointers").Index(i), pointer, err.Error()))
		}
	}
	for i, expr := range rule.JQPathExpressions {
		if err := validateAppSetJQPathExpression(expr); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("jqPathExpressions").Index(i), expr, err.Error()))
		}
	}
	return allErrs
}

// validateAppSetJSONPointer parses an RFC 6901 JSON pointer: empty (the whole
// document) or "/"-separated tokens in which "~" only starts "~0" or "~1".
func validateAppSetJSONPointer(pointer string) error {
	if pointer == "" {
		return nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return fmt.Errorf("a JSON pointer must be empty or start with \"/\"")
	}
	for i := 0; i < len(pointer); i++ {
		if pointer[i] != '~' {
			continue
		}
		if i+1 == len(pointer) || (pointer[i+1] != '0' && pointer[i+1] != '1') {
			return fmt.Errorf("\"~\" in a JSON pointer must be followed by 0 or 1")
		}
	}
	return nil
}

// validateAppSetJQPathExpression compiles expr the way ignored fields are
// removed when comparing, as the argument of jq's del(), in the subset of jq
// that the comparison runs (ignorepath.CompileJQ).
func validateAppSetJQPathExpression(expr string) error {
	if _, err := ignorepath.CompileJQ(expr); err != nil {
		return fmt.Errorf("invalid jq path expression: %w", err)
	}
	return nil
}
