package sync

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Sync option keys, as users write them in spec.syncPolicy.syncOptions, in an
// operation's syncOptions and in the argocd.argoproj.io/sync-options annotation.
const (
	OptionPrune                       = "Prune"
	OptionDelete                      = "Delete"
	OptionValidate                    = "Validate"
	OptionSkipDryRunOnMissingResource = "SkipDryRunOnMissingResource"
	OptionApplyOutOfSyncOnly          = "ApplyOutOfSyncOnly"
	OptionPrunePropagationPolicy      = "PrunePropagationPolicy"
	OptionPruneLast                   = "PruneLast"
	OptionReplace                     = "Replace"
	OptionForce                       = "Force"
	OptionServerSideApply             = "ServerSideApply"
	OptionClientSideApplyMigration    = "ClientSideApplyMigration"
	OptionFailOnSharedResource        = "FailOnSharedResource"
	OptionRespectIgnoreDifferences    = "RespectIgnoreDifferences"
	OptionCreateNamespace             = "CreateNamespace"
)

const (
	valueTrue    = "true"
	valueFalse   = "false"
	valueConfirm = "confirm"
)

// DefaultCSAMigrationManager is the client-side apply field manager whose
// fields are handed over to Capstan's server-side apply manager, as Argo CD does.
const DefaultCSAMigrationManager = "kubectl-client-side-apply"

// PruneMode says whether a resource may be pruned.
type PruneMode string

// Prune modes, from Prune=false and Prune=confirm.
const (
	PruneAllowed  PruneMode = ""
	PruneDisabled PruneMode = valueFalse
	PruneConfirm  PruneMode = valueConfirm
)

// DeleteMode says whether a resource is deleted with its Application.
type DeleteMode string

// Delete modes, from Delete=false and Delete=confirm.
const (
	DeleteAllowed  DeleteMode = ""
	DeleteDisabled DeleteMode = valueFalse
	DeleteConfirm  DeleteMode = valueConfirm
)

// optionSet holds Key=Value options; when a key repeats, the last one wins.
type optionSet map[string]string

func parseOptionList(set optionSet, options []string) {
	for _, option := range options {
		key, value, ok := strings.Cut(strings.TrimSpace(option), "=")
		if !ok {
			continue
		}
		set[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
}

// resourceOptionSet reads the argocd.argoproj.io/sync-options annotation.
func resourceOptionSet(obj *unstructured.Unstructured) optionSet {
	if obj == nil {
		return nil
	}
	value, ok := lookupAnnotation(obj, AnnotationSyncOptions)
	if !ok {
		return nil
	}
	set := optionSet{}
	parseOptionList(set, strings.Split(value, ","))
	return set
}

// AppOptions are the sync options that apply to a whole sync: the
// Application's syncOptions followed by the operation's, the later winning.
type AppOptions struct {
	// ApplyOutOfSyncOnly skips resources whose live state already matches.
	ApplyOutOfSyncOnly bool
	// PrunePropagationPolicy is the deletion propagation of prunes; foreground by default.
	PrunePropagationPolicy metav1.DeletionPropagation
	// ClientSideApplyMigration hands fields of client-side apply managers over
	// to Capstan's server-side apply manager; on by default.
	ClientSideApplyMigration bool
	// FailOnSharedResource fails the sync when a target is managed by another Application.
	FailOnSharedResource bool
	// RespectIgnoreDifferences keeps live values at ignored paths when applying.
	RespectIgnoreDifferences bool
	// CreateNamespace creates the destination namespace when it is missing.
	CreateNamespace bool

	set optionSet
}

// ParseAppOptions reads application-level sync options; later lists win over
// earlier ones. It refuses values it cannot honour, so a typo fails the sync
// with a clear message instead of silently doing something else.
func ParseAppOptions(lists ...[]string) (AppOptions, error) {
	set := optionSet{}
	for _, list := range lists {
		parseOptionList(set, list)
	}
	options := AppOptions{
		ApplyOutOfSyncOnly:       set[OptionApplyOutOfSyncOnly] == valueTrue,
		PrunePropagationPolicy:   metav1.DeletePropagationForeground,
		ClientSideApplyMigration: set[OptionClientSideApplyMigration] != valueFalse,
		FailOnSharedResource:     set[OptionFailOnSharedResource] == valueTrue,
		RespectIgnoreDifferences: set[OptionRespectIgnoreDifferences] == valueTrue,
		CreateNamespace:          set[OptionCreateNamespace] == valueTrue,
		set:                      set,
	}
	if value, ok := set[OptionPrunePropagationPolicy]; ok {
		switch strings.ToLower(value) {
		case "foreground":
			options.PrunePropagationPolicy = metav1.DeletePropagationForeground
		case "background":
			options.PrunePropagationPolicy = metav1.DeletePropagationBackground
		case "orphan":
			options.PrunePropagationPolicy = metav1.DeletePropagationOrphan
		default:
			return AppOptions{}, fmt.Errorf("sync option %s=%s: want foreground, background or orphan", OptionPrunePropagationPolicy, value)
		}
	}
	return options, nil
}

// ResourceOptions are the sync options of one resource: its
// argocd.argoproj.io/sync-options annotation where it sets a key, the
// application-level options otherwise.
type ResourceOptions struct {
	// Prune is Prune=false|confirm.
	Prune PruneMode
	// Delete is Delete=false|confirm, read when the Application is deleted.
	Delete DeleteMode
	// Validate is false with Validate=false: the API server ignores unknown
	// fields of a client-side apply or a replace. A server-side apply refuses
	// fields its schema does not declare either way.
	Validate bool
	// SkipDryRunOnMissingResource lets a resource of an unknown kind through validation.
	SkipDryRunOnMissingResource bool
	// PruneLast moves the resource's prune to a final wave.
	PruneLast bool
	// Replace replaces (or creates) instead of applying.
	Replace bool
	// Force deletes and re-creates when the change cannot be applied.
	Force bool
	// ServerSideApply applies server-side; Capstan's default. ServerSideApply=false
	// falls back to a client-side three-way merge.
	ServerSideApply bool
}

// ResolveResourceOptions combines application-level options with the
// annotation of obj; force is the operation's syncStrategy force flag.
func ResolveResourceOptions(app AppOptions, obj *unstructured.Unstructured, force bool) ResourceOptions {
	resource := resourceOptionSet(obj)
	lookup := func(key string) string {
		if value, ok := resource[key]; ok {
			return value
		}
		return app.set[key]
	}
	return ResourceOptions{
		Prune:                       PruneMode(modeValue(lookup(OptionPrune))),
		Delete:                      DeleteMode(modeValue(lookup(OptionDelete))),
		Validate:                    lookup(OptionValidate) != valueFalse,
		SkipDryRunOnMissingResource: lookup(OptionSkipDryRunOnMissingResource) == valueTrue,
		PruneLast:                   lookup(OptionPruneLast) == valueTrue,
		Replace:                     lookup(OptionReplace) == valueTrue,
		Force:                       force || lookup(OptionForce) == valueTrue,
		ServerSideApply:             lookup(OptionServerSideApply) != valueFalse,
	}
}

// modeValue keeps the values Prune and Delete understand; anything else allows.
func modeValue(value string) string {
	switch value {
	case valueFalse, valueConfirm:
		return value
	default:
		return ""
	}
}

// csaMigrationManagers returns the client-side apply managers whose fields are
// migrated to Capstan's manager before a server-side apply of obj: the
// annotation's manager or kubectl's, plus Capstan's own client-side updates.
func csaMigrationManagers(app AppOptions, obj *unstructured.Unstructured, fieldManager string) []string {
	if !app.ClientSideApplyMigration {
		return nil
	}
	manager := DefaultCSAMigrationManager
	if value := annotation(obj, AnnotationCSAMigrationManager); value != "" {
		manager = value
	}
	return []string{manager, fieldManager}
}
