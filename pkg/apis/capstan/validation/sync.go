package validation

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/diff/ignorepath"
)

// syncOptionValues are Argo CD's sync options (Key=Value) with the values each accepts.
var syncOptionValues = map[string][]string{
	"ApplyOutOfSyncOnly":          {"true", "false"},
	"ClientSideApplyMigration":    {"true", "false"},
	"CreateNamespace":             {"true", "false"},
	"Delete":                      {"true", "false", "confirm"},
	"FailOnSharedResource":        {"true", "false"},
	"Force":                       {"true", "false"},
	"Prune":                       {"true", "false", "confirm"},
	"PruneLast":                   {"true", "false"},
	"PrunePropagationPolicy":      {"foreground", "background", "orphan"},
	"Replace":                     {"true", "false"},
	"RespectIgnoreDifferences":    {"true", "false"},
	"ServerSideApply":             {"true", "false"},
	"SkipDryRunOnMissingResource": {"true", "false"},
	"Validate":                    {"true", "false"},
}

// ValidateApplicationSyncRequest checks the body of POST applications/NAME/sync.
// Whether metadata.name matches the Application is checked by the registry.
func ValidateApplicationSyncRequest(req *capstan.ApplicationSyncRequest) field.ErrorList {
	var allErrs field.ErrorList
	spec, specPath := &req.Spec, field.NewPath("spec")
	if spec.Revision != "" && len(spec.Revisions) > 0 {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("revisions"),
			"may not be set together with revision: revision is for single-source Applications, revisions for multi-source ones"))
	}
	allErrs = append(allErrs, validateSourcePositions(spec.SourcePositions, len(spec.Revisions), specPath.Child("sourcePositions"))...)
	allErrs = append(allErrs, validateSyncStrategy(spec.Strategy, specPath.Child("strategy"))...)
	allErrs = append(allErrs, validateSyncResources(spec.Resources, specPath.Child("resources"))...)
	allErrs = append(allErrs, ValidateSyncOptions(spec.SyncOptions, specPath.Child("syncOptions"))...)
	return append(allErrs, ValidateRetryStrategy(spec.Retry, specPath.Child("retry"))...)
}

// validateSourcePositions requires 1-based, distinct positions, one per revision.
func validateSourcePositions(positions []int64, revisions int, fldPath *field.Path) field.ErrorList {
	if len(positions) == 0 {
		return nil
	}
	var allErrs field.ErrorList
	if len(positions) != revisions {
		allErrs = append(allErrs, field.Invalid(fldPath, positions,
			fmt.Sprintf("must hold one source position per entry of revisions (%d)", revisions)))
	}
	seen := map[int64]bool{}
	for i, pos := range positions {
		switch {
		case pos < 1:
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), pos, "must be a 1-based position in spec.sources"))
		case seen[pos]:
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), pos))
		}
		seen[pos] = true
	}
	return allErrs
}

// validateSyncStrategy allows apply or hook, not both.
func validateSyncStrategy(strategy *capstan.SyncStrategy, fldPath *field.Path) field.ErrorList {
	if strategy != nil && strategy.Apply != nil && strategy.Hook != nil {
		return field.ErrorList{field.Forbidden(fldPath.Child("hook"), "may not be set together with apply: choose one sync strategy")}
	}
	return nil
}

// validateSyncResources requires kind and name of each selected resource.
func validateSyncResources(resources []capstan.SyncOperationResource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, res := range resources {
		if res.Kind == "" {
			allErrs = append(allErrs, field.Required(fldPath.Index(i).Child("kind"), "the kind of the resource to sync, or *"))
		}
		if res.Name == "" {
			allErrs = append(allErrs, field.Required(fldPath.Index(i).Child("name"), "the name of the resource to sync, or *"))
		}
	}
	return allErrs
}

// ValidateSyncPolicy checks sync options, retries and the managed namespace metadata.
func ValidateSyncPolicy(policy *capstan.SyncPolicy, fldPath *field.Path) field.ErrorList {
	allErrs := ValidateSyncOptions(policy.SyncOptions, fldPath.Child("syncOptions"))
	allErrs = append(allErrs, ValidateRetryStrategy(policy.Retry, fldPath.Child("retry"))...)
	if md := policy.ManagedNamespaceMetadata; md != nil {
		mdPath := fldPath.Child("managedNamespaceMetadata")
		allErrs = append(allErrs, metav1validation.ValidateLabels(md.Labels, mdPath.Child("labels"))...)
		allErrs = append(allErrs, apivalidation.ValidateAnnotations(md.Annotations, mdPath.Child("annotations"))...)
	}
	return allErrs
}

// ValidateSyncOptions checks that each option has the form Key=Value, that Key is
// one of Argo CD's sync options and Value one it accepts, and that no key is
// given two different values.
func ValidateSyncOptions(opts []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	firstByKey := map[string]int{}
	for i, opt := range opts {
		idxPath := fldPath.Index(i)
		key, value, ok := strings.Cut(opt, "=")
		if !ok || key == "" {
			allErrs = append(allErrs, field.Invalid(idxPath, opt, "must have the form Key=Value, e.g. CreateNamespace=true"))
			continue
		}
		allowed, known := syncOptionValues[key]
		if !known {
			allErrs = append(allErrs, unknownSyncOption(idxPath, key))
			continue
		}
		if !slices.Contains(allowed, value) {
			allErrs = append(allErrs, field.NotSupported(idxPath, opt, prefixEach(key+"=", allowed)))
			continue
		}
		if j, seen := firstByKey[key]; seen && opts[j] != opt {
			allErrs = append(allErrs, field.Invalid(idxPath, opt, fmt.Sprintf("conflicts with %q at index %d", opts[j], j)))
			continue
		}
		firstByKey[key] = i
	}
	return allErrs
}

// unknownSyncOption reports an unknown key, pointing at the known key it
// differs from only in case, since Argo CD compares keys case-sensitively.
func unknownSyncOption(fldPath *field.Path, key string) *field.Error {
	for known := range syncOptionValues {
		if strings.EqualFold(known, key) {
			return field.Invalid(fldPath, key, fmt.Sprintf("unknown sync option %q: keys are case-sensitive, did you mean %s?", key, known))
		}
	}
	keys := make([]string, 0, len(syncOptionValues))
	for known := range syncOptionValues {
		keys = append(keys, known)
	}
	sort.Strings(keys)
	return field.NotSupported(fldPath, key, keys)
}

// ValidateRetryStrategy checks the backoff of a retry strategy. Durations are Go
// durations ("30s", "2m") or plain numbers of seconds, as Argo CD reads them.
func ValidateRetryStrategy(retry *capstan.RetryStrategy, fldPath *field.Path) field.ErrorList {
	if retry == nil || retry.Backoff == nil {
		return nil
	}
	backoff, backoffPath := retry.Backoff, fldPath.Child("backoff")
	allErrs := validateBackoffDuration(backoff.Duration, backoffPath.Child("duration"))
	if backoff.Factor != nil && *backoff.Factor < 1 {
		allErrs = append(allErrs, field.Invalid(backoffPath.Child("factor"), *backoff.Factor, "must be at least 1"))
	}
	return append(allErrs, validateBackoffDuration(backoff.MaxDuration, backoffPath.Child("maxDuration"))...)
}

// validateBackoffDuration checks an optional, non-negative backoff duration.
func validateBackoffDuration(value string, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return nil
	}
	d, err := parseBackoffDuration(value)
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, value, err.Error())}
	}
	if d < 0 {
		return field.ErrorList{field.Invalid(fldPath, value, "must not be negative")}
	}
	return nil
}

// parseBackoffDuration reads a number of seconds or a Go duration.
func parseBackoffDuration(value string) (time.Duration, error) {
	if seconds, err := strconv.Atoi(value); err == nil {
		return time.Duration(seconds) * time.Second, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		return 0, fmt.Errorf(`must be a duration such as "30s" or "2m", or a number of seconds`)
	}
	return d, nil
}

// ValidateIgnoreDifferences checks that each rule names a kind, that JSON
// pointers are RFC 6901 pointers and that jq path expressions compile, and
// that neither names what an object is (apiVersion, kind, name, namespace).
func ValidateIgnoreDifferences(rules capstan.IgnoreDifferences, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, rule := range rules {
		idxPath := fldPath.Index(i)
		if rule.Kind == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("kind"), "the kind of the resources the rule applies to, or *"))
		}
		for j, pointer := range rule.JSONPointers {
			if err := ignorepath.CheckJSONPointer(pointer); err != nil {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("jsonPointers").Index(j), pointer, err.Error()))
			}
		}
		for j, expr := range rule.JQPathExpressions {
			if err := ignorepath.CheckJQ(expr); err != nil {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("jqPathExpressions").Index(j), expr, err.Error()))
			}
		}
		for j, manager := range rule.ManagedFieldsManagers {
			if strings.TrimSpace(manager) == "" {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("managedFieldsManagers").Index(j), manager, "must name a field manager"))
			}
		}
	}
	return allErrs
}

// prefixEach returns values each prefixed with prefix.
func prefixEach(prefix string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = prefix + v
	}
	return out
}
