package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// ApplicationSource is a place manifests come from: a path in a Git repository,
// a chart in a Helm repository, or an OCI artifact, plus tool-specific options.
type ApplicationSource struct {
	// RepoURL is the URL of the Git repository, Helm repository or OCI registry.
	RepoURL string `json:"repoURL"`
	// Path is the directory inside a Git repository or OCI artifact that holds the manifests.
	// +optional
	Path string `json:"path,omitempty"`
	// TargetRevision is the branch, tag, commit or HEAD to deploy from Git, or the
	// chart version (or semver constraint) for Helm. Empty means HEAD.
	// +optional
	TargetRevision string `json:"targetRevision,omitempty"`
	// Helm holds options for rendering with Helm.
	// +optional
	Helm *ApplicationSourceHelm `json:"helm,omitempty"`
	// Kustomize holds options for rendering with Kustomize.
	// +optional
	Kustomize *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	// Directory holds options for plain YAML/JSON and Jsonnet directories.
	// +optional
	Directory *ApplicationSourceDirectory `json:"directory,omitempty"`
	// Plugin holds options for a config management plugin.
	// +optional
	Plugin *ApplicationSourcePlugin `json:"plugin,omitempty"`
	// Chart is the name of a chart in a Helm repository; set for Helm repository
	// sources instead of path.
	// +optional
	Chart string `json:"chart,omitempty"`
	// Ref names this source inside spec.sources so that Helm value files of other
	// sources can refer to its files as $<ref>/path. Unused in spec.source.
	// +optional
	Ref string `json:"ref,omitempty"`
	// Name identifies the source of a multi-source Application to users and tools.
	// +optional
	Name string `json:"name,omitempty"`
	// TagPrefix restricts the Git tags considered when targetRevision is a semver
	// constraint to those starting with this prefix.
	// +optional
	TagPrefix string `json:"tagPrefix,omitempty"`
}

// ApplicationSources is the list of sources of a multi-source Application.
type ApplicationSources []ApplicationSource

// ApplicationSourceType is the tool that renders a source.
// +enum
type ApplicationSourceType string

// Source types, spelled as in Argo CD.
const (
	ApplicationSourceTypeHelm      ApplicationSourceType = "Helm"
	ApplicationSourceTypeKustomize ApplicationSourceType = "Kustomize"
	ApplicationSourceTypeDirectory ApplicationSourceType = "Directory"
	ApplicationSourceTypePlugin    ApplicationSourceType = "Plugin"
)

// ApplicationSourceHelm holds the options passed to helm template.
type ApplicationSourceHelm struct {
	// ValueFiles are values files (--values), later ones overriding earlier ones.
	// Paths are relative to the source path; $<ref>/... reads from another source.
	// +optional
	// +listType=atomic
	ValueFiles []string `json:"valueFiles,omitempty"`
	// Parameters set single values (--set / --set-string); they override every
	// other kind of values.
	// +optional
	// +listType=atomic
	Parameters []HelmParameter `json:"parameters,omitempty"`
	// ReleaseName is the Helm release name; empty means the Application's name.
	// +optional
	ReleaseName string `json:"releaseName,omitempty"`
	// Values is a values document given inline as a YAML string. valuesObject wins
	// when both are set.
	// +optional
	Values string `json:"values,omitempty"`
	// FileParameters set values from the contents of files (--set-file).
	// +optional
	// +listType=atomic
	FileParameters []HelmFileParameter `json:"fileParameters,omitempty"`
	// Version is the Helm major version to render with ("3").
	// +optional
	Version string `json:"version,omitempty"`
	// PassCredentials sends repository credentials to every domain the chart
	// download is redirected to (--pass-credentials).
	// +optional
	PassCredentials bool `json:"passCredentials,omitempty"`
	// IgnoreMissingValueFiles skips value files that do not exist instead of failing.
	// +optional
	IgnoreMissingValueFiles bool `json:"ignoreMissingValueFiles,omitempty"`
	// SkipCrds leaves the chart's crds/ directory out of the rendered manifests.
	// +optional
	SkipCrds bool `json:"skipCrds,omitempty"`
	// ValuesObject is a values document given as a structured object; it takes
	// precedence over values.
	// +optional
	ValuesObject *runtime.RawExtension `json:"valuesObject,omitempty"`
	// Namespace is the namespace the chart is rendered for; empty means the
	// destination namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// KubeVersion overrides the Kubernetes version the chart is rendered for;
	// empty means the destination cluster's version.
	// +optional
	KubeVersion string `json:"kubeVersion,omitempty"`
	// APIVersions overrides the API versions (group/version or
	// group/version/kind) the chart sees as available; empty means the
	// destination cluster's.
	// +optional
	// +listType=atomic
	APIVersions []string `json:"apiVersions,omitempty"`
	// SkipTests leaves test hooks out of the rendered manifests (--skip-tests).
	// +optional
	SkipTests bool `json:"skipTests,omitempty"`
	// SkipSchemaValidation renders without checking values against values.schema.json.
	// +optional
	SkipSchemaValidation bool `json:"skipSchemaValidation,omitempty"`
}

// HelmParameter sets one Helm value by its dotted path.
type HelmParameter struct {
	// Name is the dotted path of the value, e.g. image.tag.
	// +optional
	Name string `json:"name,omitempty"`
	// Value is the value to set.
	// +optional
	Value string `json:"value,omitempty"`
	// ForceString keeps the value a string even when it looks like a number or
	// boolean (--set-string).
	// +optional
	ForceString bool `json:"forceString,omitempty"`
}

// HelmFileParameter sets one Helm value to the contents of a file.
type HelmFileParameter struct {
	// Name is the dotted path of the value.
	// +optional
	Name string `json:"name,omitempty"`
	// Path is the file whose contents become the value, relative to the source path.
	// +optional
	Path string `json:"path,omitempty"`
}

// ApplicationSourceDirectory holds options for directories of plain manifests
// and Jsonnet files.
type ApplicationSourceDirectory struct {
	// Recurse reads manifests from subdirectories too.
	// +optional
	Recurse bool `json:"recurse,omitempty"`
	// Jsonnet holds options for evaluating .jsonnet files.
	// +optional
	Jsonnet ApplicationSourceJsonnet `json:"jsonnet,omitempty"`
	// Exclude is a glob of paths to skip; {a,b} alternation is allowed.
	// +optional
	Exclude string `json:"exclude,omitempty"`
	// Include is a glob of paths to read; {a,b} alternation is allowed.
	// +optional
	Include string `json:"include,omitempty"`
}

// ApplicationSourceJsonnet holds options for evaluating Jsonnet.
type ApplicationSourceJsonnet struct {
	// ExtVars are external variables (--ext-str / --ext-code).
	// +optional
	// +listType=atomic
	ExtVars []JsonnetVar `json:"extVars,omitempty"`
	// TLAs are top-level arguments (--tla-str / --tla-code).
	// +optional
	// +listType=atomic
	TLAs []JsonnetVar `json:"tlas,omitempty"`
	// Libs are extra library search directories (--jpath).
	// +optional
	// +listType=atomic
	Libs []string `json:"libs,omitempty"`
}

// JsonnetVar is a Jsonnet external variable or top-level argument.
type JsonnetVar struct {
	// Name of the variable.
	Name string `json:"name"`
	// Value of the variable: a string, or Jsonnet code when code is true.
	Value string `json:"value"`
	// Code evaluates value as Jsonnet code instead of using it as a string.
	// +optional
	Code bool `json:"code,omitempty"`
}

// ApplicationSourcePlugin holds options for a config management plugin.
type ApplicationSourcePlugin struct {
	// Name of the plugin; empty means the plugin is found by discovery.
	// +optional
	Name string `json:"name,omitempty"`
	// Env are variables given to the plugin, each exported as ARGOCD_ENV_<name>.
	// +optional
	// +listType=atomic
	Env Env `json:"env,omitempty"`
	// Parameters are the plugin's declared parameters with their values.
	// +optional
	// +listType=atomic
	Parameters ApplicationSourcePluginParameters `json:"parameters,omitempty"`
}

// Env is a list of environment variables.
type Env []*EnvEntry

// EnvEntry is one environment variable.
type EnvEntry struct {
	// Name of the variable, usually in upper case.
	Name string `json:"name"`
	// Value of the variable.
	Value string `json:"value"`
}

// ApplicationSourcePluginParameters is a list of plugin parameters.
type ApplicationSourcePluginParameters []ApplicationSourcePluginParameter

// ApplicationSourcePluginParameter is a plugin parameter with a string, array
// or map value. The array and map are pointers so that a present but empty value
// ([] or {}) is told apart from an absent one.
type ApplicationSourcePluginParameter struct {
	// Name of the parameter.
	// +optional
	Name string `json:"name,omitempty"`
	// String is the value of a string parameter.
	// +optional
	String *string `json:"string,omitempty"`
	// OptionalMap holds the value of a map parameter.
	// +optional
	*OptionalMap `json:",omitempty"`
	// OptionalArray holds the value of an array parameter.
	// +optional
	*OptionalArray `json:",omitempty"`
}

// OptionalMap wraps the value of a map plugin parameter.
type OptionalMap struct {
	// Map is the value of a map parameter.
	// +optional
	Map map[string]string `json:"map"`
}

// OptionalArray wraps the value of an array plugin parameter.
type OptionalArray struct {
	// Array is the value of an array parameter.
	// +optional
	// +listType=atomic
	Array []string `json:"array"`
}

// SourceHydrator renders manifests from a dry source, commits the result to a
// branch and syncs the Application from that branch.
type SourceHydrator struct {
	// DrySource is where the manifests to render come from.
	DrySource DrySource `json:"drySource"`
	// SyncSource is the branch and path the rendered manifests are committed to
	// and synced from.
	SyncSource SyncSource `json:"syncSource"`
	// HydrateTo is an optional staging branch the rendered manifests are pushed to
	// instead; something else (a pull request) moves them to the sync branch.
	// +optional
	HydrateTo *HydrateTo `json:"hydrateTo,omitempty"`
}

// DrySource is the Git location of the manifests a source hydrator renders.
type DrySource struct {
	// RepoURL is the Git repository holding the manifests to render.
	RepoURL string `json:"repoURL"`
	// TargetRevision is the branch, tag or commit to render.
	TargetRevision string `json:"targetRevision"`
	// Path is the directory holding the manifests to render.
	Path string `json:"path"`
	// Helm holds options for rendering with Helm.
	// +optional
	Helm *ApplicationSourceHelm `json:"helm,omitempty"`
	// Kustomize holds options for rendering with Kustomize.
	// +optional
	Kustomize *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	// Directory holds options for plain manifests and Jsonnet.
	// +optional
	Directory *ApplicationSourceDirectory `json:"directory,omitempty"`
	// Plugin holds options for a config management plugin.
	// +optional
	Plugin *ApplicationSourcePlugin `json:"plugin,omitempty"`
}

// SyncSource is the branch and path rendered manifests are committed to and
// synced from.
type SyncSource struct {
	// TargetBranch is the branch rendered manifests are committed to.
	TargetBranch string `json:"targetBranch"`
	// Path is the directory rendered manifests are written to and synced from.
	Path string `json:"path"`
	// RepoURL is the repository of the sync branch; empty means the dry source's repository.
	// +optional
	RepoURL string `json:"repoURL,omitempty"`
}

// HydrateTo is a staging branch for rendered manifests.
type HydrateTo struct {
	// TargetBranch is the staging branch rendered manifests are pushed to.
	TargetBranch string `json:"targetBranch"`
}
