package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ApplicationSetGenerator is one top-level entry of spec.generators. Exactly one
// generator field is set; selector may accompany it to filter its parameter sets.
type ApplicationSetGenerator struct {
	// List yields the given elements.
	// +optional
	List *ListGenerator `json:"list,omitempty"`
	// Clusters yields one parameter set per registered destination cluster.
	// +optional
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	// Git yields parameter sets from directories or files of a Git repository.
	// +optional
	Git *GitGenerator `json:"git,omitempty"`
	// SCMProvider yields one parameter set per repository (or branch) of an SCM organization.
	// +optional
	SCMProvider *SCMProviderGenerator `json:"scmProvider,omitempty"`
	// ClusterDecisionResource yields clusters listed in the status of a duck-typed resource.
	// +optional
	ClusterDecisionResource *DuckTypeGenerator `json:"clusterDecisionResource,omitempty"`
	// PullRequest yields one parameter set per open pull request.
	// +optional
	PullRequest *PullRequestGenerator `json:"pullRequest,omitempty"`
	// Matrix yields the Cartesian product of two child generators.
	// +optional
	Matrix *MatrixGenerator `json:"matrix,omitempty"`
	// Merge merges the parameter sets of its child generators on mergeKeys.
	// +optional
	Merge *MergeGenerator `json:"merge,omitempty"`
	// Selector keeps only the parameter sets whose values match it.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// Plugin asks an HTTP plugin service for parameter sets.
	// +optional
	Plugin *PluginGenerator `json:"plugin,omitempty"`
}

// ApplicationSetNestedGenerator is a child of a top-level matrix or merge
// generator. A matrix or merge at this level is kept as raw JSON in the form of
// NestedMatrixGenerator or NestedMergeGenerator, because the schema cannot be
// recursive; that bounds nesting at two levels, as in Argo CD.
type ApplicationSetNestedGenerator struct {
	// List yields the given elements.
	// +optional
	List *ListGenerator `json:"list,omitempty"`
	// Clusters yields one parameter set per registered destination cluster.
	// +optional
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	// Git yields parameter sets from directories or files of a Git repository.
	// +optional
	Git *GitGenerator `json:"git,omitempty"`
	// SCMProvider yields one parameter set per repository (or branch) of an SCM organization.
	// +optional
	SCMProvider *SCMProviderGenerator `json:"scmProvider,omitempty"`
	// ClusterDecisionResource yields clusters listed in the status of a duck-typed resource.
	// +optional
	ClusterDecisionResource *DuckTypeGenerator `json:"clusterDecisionResource,omitempty"`
	// PullRequest yields one parameter set per open pull request.
	// +optional
	PullRequest *PullRequestGenerator `json:"pullRequest,omitempty"`
	// Matrix holds a NestedMatrixGenerator as raw JSON.
	// +optional
	Matrix *runtime.RawExtension `json:"matrix,omitempty"`
	// Merge holds a NestedMergeGenerator as raw JSON.
	// +optional
	Merge *runtime.RawExtension `json:"merge,omitempty"`
	// Selector keeps only the parameter sets whose values match it.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// Plugin asks an HTTP plugin service for parameter sets.
	// +optional
	Plugin *PluginGenerator `json:"plugin,omitempty"`
}

// ApplicationSetTerminalGenerator is a child of a nested matrix or merge: any
// generator except matrix and merge.
type ApplicationSetTerminalGenerator struct {
	// List yields the given elements.
	// +optional
	List *ListGenerator `json:"list,omitempty"`
	// Clusters yields one parameter set per registered destination cluster.
	// +optional
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	// Git yields parameter sets from directories or files of a Git repository.
	// +optional
	Git *GitGenerator `json:"git,omitempty"`
	// SCMProvider yields one parameter set per repository (or branch) of an SCM organization.
	// +optional
	SCMProvider *SCMProviderGenerator `json:"scmProvider,omitempty"`
	// ClusterDecisionResource yields clusters listed in the status of a duck-typed resource.
	// +optional
	ClusterDecisionResource *DuckTypeGenerator `json:"clusterDecisionResource,omitempty"`
	// PullRequest yields one parameter set per open pull request.
	// +optional
	PullRequest *PullRequestGenerator `json:"pullRequest,omitempty"`
	// Plugin asks an HTTP plugin service for parameter sets.
	// +optional
	Plugin *PluginGenerator `json:"plugin,omitempty"`
	// Selector keeps only the parameter sets whose values match it.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// ListGenerator yields a fixed list of parameter sets.
type ListGenerator struct {
	// Elements are JSON objects; each one is a parameter set.
	// +optional
	// +listType=atomic
	Elements []runtime.RawExtension `json:"elements"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// ElementsYaml is a YAML list of objects, itself templatable (for example from
	// a parameter of the other matrix child), appended to elements.
	// +optional
	ElementsYaml string `json:"elementsYaml,omitempty"`
}

// MatrixGenerator combines every parameter set of its first child with every
// parameter set of its second child.
type MatrixGenerator struct {
	// Generators are the two children.
	// +listType=atomic
	Generators []ApplicationSetNestedGenerator `json:"generators"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
}

// NestedMatrixGenerator is the shape of ApplicationSetNestedGenerator.Matrix: a
// matrix inside a matrix or merge, without a template override.
type NestedMatrixGenerator struct {
	// Generators are the two children.
	// +listType=atomic
	Generators []ApplicationSetTerminalGenerator `json:"generators"`
}

// MergeGenerator merges the parameter sets of its children: the first child is
// the base, and a later parameter set whose mergeKeys values equal those of a
// base set overrides it. Parameter sets without a matching base set are dropped.
type MergeGenerator struct {
	// Generators are the children, the base first.
	// +listType=atomic
	Generators []ApplicationSetNestedGenerator `json:"generators"`
	// MergeKeys are the parameter names whose values must be equal to merge two sets.
	// +listType=atomic
	MergeKeys []string `json:"mergeKeys"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
}

// NestedMergeGenerator is the shape of ApplicationSetNestedGenerator.Merge: a
// merge inside a matrix or merge, without a template override.
type NestedMergeGenerator struct {
	// Generators are the children, the base first.
	// +listType=atomic
	Generators []ApplicationSetTerminalGenerator `json:"generators"`
	// MergeKeys are the parameter names whose values must be equal to merge two sets.
	// +listType=atomic
	MergeKeys []string `json:"mergeKeys"`
}

// ClusterGenerator yields one parameter set per destination cluster (cluster
// Secret), including the local cluster when no selector is given.
type ClusterGenerator struct {
	// Selector matches the labels of cluster Secrets.
	// +optional
	Selector metav1.LabelSelector `json:"selector,omitempty"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// Values are added to every parameter set as values.<key>.
	// +optional
	Values map[string]string `json:"values,omitempty"`
	// FlatList yields a single parameter set holding all clusters as a list.
	// +optional
	FlatList bool `json:"flatList,omitempty"`
}

// DuckTypeGenerator yields the clusters listed in the status of any resource
// that follows the placement-decision duck type.
type DuckTypeGenerator struct {
	// ConfigMapRef names the ConfigMap that describes the duck type (apiVersion,
	// kind, statusListKey, matchKey).
	ConfigMapRef string `json:"configMapRef"`
	// Name of the duck-typed resource to read; either name or labelSelector is used.
	// +optional
	Name string `json:"name,omitempty"`
	// RequeueAfterSeconds is how often the resource is re-read.
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// LabelSelector selects the duck-typed resources to read.
	// +optional
	LabelSelector metav1.LabelSelector `json:"labelSelector,omitempty"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// Values are added to every parameter set as values.<key>.
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// GitGenerator yields parameter sets from a Git repository: one per matching
// directory, or one per object found in matching JSON/YAML files.
type GitGenerator struct {
	// RepoURL is the repository to read.
	RepoURL string `json:"repoURL"`
	// Directories are path globs; each matching directory is a parameter set.
	// +optional
	// +listType=atomic
	Directories []GitDirectoryGeneratorItem `json:"directories,omitempty"`
	// Files are path globs of JSON or YAML files whose content yields parameter sets.
	// +optional
	// +listType=atomic
	Files []GitFileGeneratorItem `json:"files,omitempty"`
	// Revision is the branch, tag or commit to read.
	// +optional
	Revision string `json:"revision"`
	// RequeueAfterSeconds is how often the repository is polled (default 180).
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// PathParamPrefix prefixes the path.* parameter names, so that two git
	// generators can be combined in a matrix.
	// +optional
	PathParamPrefix string `json:"pathParamPrefix,omitempty"`
	// Values are added to every parameter set as values.<key>.
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// GitDirectoryGeneratorItem is a directory glob of a git generator.
type GitDirectoryGeneratorItem struct {
	// Path is a glob relative to the repository root.
	Path string `json:"path"`
	// Exclude removes the matching directories instead of adding them.
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// GitFileGeneratorItem is a file glob of a git generator.
type GitFileGeneratorItem struct {
	// Path is a glob relative to the repository root.
	Path string `json:"path"`
	// Exclude removes the matching files instead of adding them.
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// PluginGenerator asks an external plugin service for parameter sets.
type PluginGenerator struct {
	// ConfigMapRef names the ConfigMap holding the plugin's baseUrl and token reference.
	ConfigMapRef PluginConfigMapRef `json:"configMapRef"`
	// Input is sent to the plugin.
	// +optional
	Input PluginInput `json:"input,omitempty"`
	// RequeueAfterSeconds is how often the plugin is asked again (default 1800).
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// Values are added to every parameter set as values.<key>; they are not sent to the plugin.
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// PluginConfigMapRef names the ConfigMap of a plugin generator.
type PluginConfigMapRef struct {
	// Name of the ConfigMap, in the ApplicationSet controller's namespace.
	Name string `json:"name"`
}

// PluginInput is what a plugin generator sends to its plugin.
type PluginInput struct {
	// Parameters are passed to the plugin as they are; values may be any JSON.
	// +optional
	Parameters map[string]runtime.RawExtension `json:"parameters,omitempty"`
}
