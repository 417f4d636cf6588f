// Package validation checks capstan.dev objects before they are stored. Every
// function is pure: it takes an internal object and returns the problems found as
// a field.ErrorList whose paths and messages are written for kubectl users.
package validation

import (
	"fmt"
	"net/url"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// ValidateApplication checks a new Application: its metadata, spec and any
// requested operation.
func ValidateApplication(app *capstan.Application) field.ErrorList {
	allErrs := apivalidation.ValidateObjectMeta(&app.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateApplicationSpec(&app.Spec, field.NewPath("spec"))...)
	if app.Operation != nil {
		allErrs = append(allErrs, ValidateOperation(app.Operation, field.NewPath("operation"))...)
	}
	return allErrs
}

// ValidateApplicationUpdate checks an update of an Application. As in Argo CD,
// every spec field may change; only the metadata rules for updates apply on top
// of the rules for new objects.
func ValidateApplicationUpdate(newApp, oldApp *capstan.Application) field.ErrorList {
	allErrs := apivalidation.ValidateObjectMetaUpdate(&newApp.ObjectMeta, &oldApp.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateApplication(newApp)...)
}

// ValidateApplicationSpec checks an Application spec. It is exported for the
// ApplicationSet validation, which checks the Applications a template renders.
func ValidateApplicationSpec(spec *capstan.ApplicationSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Project == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("project"),
			`the name of the AppProject the Application belongs to; use "default" for the built-in project`))
	}
	allErrs = append(allErrs, validateSourceChoice(spec, fldPath)...)
	if spec.Source != nil {
		allErrs = append(allErrs, ValidateApplicationSource(spec.Source, fldPath.Child("source"))...)
	}
	if len(spec.Sources) > 0 {
		allErrs = append(allErrs, ValidateApplicationSources(spec.Sources, fldPath.Child("sources"))...)
	}
	if spec.SourceHydrator != nil {
		allErrs = append(allErrs, validateSourceHydrator(spec.SourceHydrator, fldPath.Child("sourceHydrator"))...)
	}
	allErrs = append(allErrs, ValidateApplicationDestination(&spec.Destination, fldPath.Child("destination"))...)
	if spec.SyncPolicy != nil {
		allErrs = append(allErrs, ValidateSyncPolicy(spec.SyncPolicy, fldPath.Child("syncPolicy"))...)
	}
	allErrs = append(allErrs, ValidateIgnoreDifferences(spec.IgnoreDifferences, fldPath.Child("ignoreDifferences"))...)
	for i := range spec.Info {
		allErrs = append(allErrs, validateInfo(&spec.Info[i], fldPath.Child("info").Index(i))...)
	}
	if spec.RevisionHistoryLimit != nil {
		allErrs = append(allErrs, apivalidation.ValidateNonnegativeField(*spec.RevisionHistoryLimit, fldPath.Child("revisionHistoryLimit"))...)
	}
	return allErrs
}

// validateSourceChoice requires exactly one of source, sources and sourceHydrator.
func validateSourceChoice(spec *capstan.ApplicationSpec, fldPath *field.Path) field.ErrorList {
	hasSource, hasSources, hasHydrator := spec.Source != nil, len(spec.Sources) > 0, spec.SourceHydrator != nil
	switch {
	case !hasSource && !hasSources && !hasHydrator:
		return field.ErrorList{field.Required(fldPath.Child("source"),
			"one of source, sources or sourceHydrator must say where the manifests come from")}
	case hasHydrator && (hasSource || hasSources):
		return field.ErrorList{field.Forbidden(fldPath.Child("sourceHydrator"),
			"may not be set together with source or sources: the hydrator's syncSource is where manifests are synced from")}
	case hasSource && hasSources:
		return field.ErrorList{field.Forbidden(fldPath.Child("sources"),
			"may not be set together with source: move the single source into sources or remove sources")}
	}
	return nil
}

// ValidateApplicationDestination requires exactly one of server and name, a URL
// for server and a DNS-1123 label for namespace.
func ValidateApplicationDestination(dest *capstan.ApplicationDestination, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case dest.Server == "" && dest.Name == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("server"),
			"one of server (the cluster's API server URL) or name (the registered cluster name) is required"))
	case dest.Server != "" && dest.Name != "":
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("name"),
			"may not be set together with server: name the cluster by server URL or by registered name, not both"))
	}
	if dest.Server != "" {
		allErrs = append(allErrs, validateServerURL(dest.Server, fldPath.Child("server"))...)
	}
	if dest.Namespace != "" {
		for _, msg := range utilvalidation.IsDNS1123Label(dest.Namespace) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), dest.Namespace, msg))
		}
	}
	return allErrs
}

// validateServerURL requires an http or https URL with a host.
func validateServerURL(server string, fldPath *field.Path) field.ErrorList {
	u, err := url.Parse(server)
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, server, fmt.Sprintf("must be the URL of a Kubernetes API server: %v", err))}
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return field.ErrorList{field.Invalid(fldPath, server,
			"must be the http(s) URL of a Kubernetes API server, e.g. https://kubernetes.default.svc")}
	}
	return nil
}

// validateInfo requires a name for an informational item.
func validateInfo(info *capstan.Info, fldPath *field.Path) field.ErrorList {
	if strings.TrimSpace(info.Name) == "" {
		return field.ErrorList{field.Required(fldPath.Child("name"), "the label shown for the value")}
	}
	return nil
}

// ValidateOperation checks an operation requested on an Application.
func ValidateOperation(op *capstan.Operation, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if op.Sync == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("sync"),
			"sync is the only operation; set sync: {} to sync to the target revision"))
	} else {
		allErrs = append(allErrs, validateSyncOperation(op.Sync, fldPath.Child("sync"))...)
	}
	for i, info := range op.Info {
		if info == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("info").Index(i), "an entry with name and value"))
			continue
		}
		allErrs = append(allErrs, validateInfo(info, fldPath.Child("info").Index(i))...)
	}
	return append(allErrs, ValidateRetryStrategy(&op.Retry, fldPath.Child("retry"))...)
}

// validateSyncOperation checks the options of a requested sync.
func validateSyncOperation(sync *capstan.SyncOperation, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateSyncStrategy(sync.SyncStrategy, fldPath.Child("syncStrategy"))...)
	allErrs = append(allErrs, validateSyncResources(sync.Resources, fldPath.Child("resources"))...)
	if sync.Source != nil && len(sync.Sources) > 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("sources"), "may not be set together with source"))
	}
	if sync.Source != nil {
		allErrs = append(allErrs, ValidateApplicationSource(sync.Source, fldPath.Child("source"))...)
	}
	if len(sync.Sources) > 0 {
		allErrs = append(allErrs, ValidateApplicationSources(sync.Sources, fldPath.Child("sources"))...)
	}
	allErrs = append(allErrs, ValidateSyncOptions(sync.SyncOptions, fldPath.Child("syncOptions"))...)
	return append(allErrs, apivalidation.ValidateNonnegativeField(sync.SelfHealAttemptsCount, fldPath.Child("autoHealAttemptsCount"))...)
}
