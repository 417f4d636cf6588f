// Package generators produces the parameter sets of an ApplicationSet's
// generators with Argo CD's parameter names, in both the flat ({{param}})
// and the goTemplate forms: List, Clusters, Git directories and files,
// Matrix, Merge, SCM Provider, Pull Request, Plugin and
// ClusterDecisionResource, each with its selector and template override.
//
// Any error of any generator fails the whole generation: a source that cannot
// be read never yields "no parameters", so the caller never mistakes an
// outage for a reason to delete Applications.
package generators

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/template"
	"capstan.dev/capstan/pkg/source/credentials"
)

// Cluster is a destination cluster the Clusters generator can yield.
type Cluster struct {
	// Name and Server identify the cluster in destinations.
	Name, Server string
	// Project is the AppProject a cluster Secret is scoped to, if any.
	Project string
	// Labels and Annotations are the cluster Secret's.
	Labels, Annotations map[string]string
	// InCluster marks the cluster Capstan runs in when no Secret describes it.
	InCluster bool
}

// ClusterSource lists the destination clusters: the cluster Secrets of the
// repository namespace, and the in-cluster destination unless a Secret
// describes it.
type ClusterSource interface {
	Clusters(ctx context.Context) ([]Cluster, error)
}

// GitSource reads a Git repository at a revision with the credentials an
// AppProject may use (empty project: only unscoped credentials).
type GitSource interface {
	GitFiles(ctx context.Context, repoURL, revision, project string, hard bool) (commit string, files fs.FS, err error)
}

// Sources are what generators read besides the ApplicationSet. A nil member
// makes the generators that need it fail with an error that says so.
type Sources struct {
	// Clusters feeds the Clusters and ClusterDecisionResource generators.
	Clusters ClusterSource
	// Git feeds the Git generators.
	Git GitSource
	// Kube reads the Secrets and ConfigMaps that SCM, Pull Request, Plugin
	// and ClusterDecisionResource generators name, always in the
	// ApplicationSet's own namespace.
	Kube kubernetes.Interface
	// Dynamic reads the resources of ClusterDecisionResource generators.
	Dynamic dynamic.Interface
	// RepositoryNamespace holds the cluster Secrets the Clusters generator
	// lists (for Authorize).
	RepositoryNamespace string
	// HTTPClient reaches SCM providers and plugins; nil means a client with
	// a 30-second timeout.
	HTTPClient *http.Client
	// AllowedSCMProviders, when set, are the only API URLs SCM Provider and
	// Pull Request generators may use (Argo CD's --allowed-scm-providers).
	AllowedSCMProviders []string
	// ControlNamespaces are trusted like Argo CD's own namespace: only their
	// ApplicationSets may act as the server's own AWS identity (awsCodeCommit
	// without credentialsSecretName).
	ControlNamespaces []string
}

// Generators runs the generators of ApplicationSets over Sources.
type Generators struct {
	sources Sources
	// githubApps caches the installation tokens of GitHub App Secrets
	// (appSecretName) across generations.
	githubApps *credentials.GitHubAppTokens
	// bitbucketCloudAPI is Bitbucket Cloud's API URL, which generators
	// cannot set (tests point it at a loopback server).
	bitbucketCloudAPI string
	// aws is the server's AWS configuration, loaded at the first use.
	aws awsBase
}

// New returns Generators reading from sources.
func New(sources Sources) *Generators {
	if sources.HTTPClient == nil {
		sources.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Generators{sources: sources, bitbucketCloudAPI: defaultBitbucketCloudAPI, githubApps: credentials.NewGitHubAppTokens(nil)}
}

// Result is what one top-level generator produced: its parameter sets and the
// template they are rendered into (the generator's override merged over the
// ApplicationSet's template).
type Result struct {
	Params   []map[string]any
	Template v1alpha1.ApplicationSetTemplate
}

// Options tune one generation.
type Options struct {
	// Hard bypasses cached Git ref listings (the ApplicationSet refresh
	// annotation).
	Hard bool
	// Authorize, when set, is asked before a generator reads anything
	// outside the ApplicationSet and its Git repositories (Secrets,
	// ConfigMaps, duck-typed resources); an error stops the generation. A
	// preview of a candidate ApplicationSet passes the caller's rights here.
	Authorize AuthorizeFunc
}

// AuthorizeFunc says whether the requester may verb the resource (name empty
// for any) in namespace, with an error saying why not.
type AuthorizeFunc func(ctx context.Context, verb string, resource schema.GroupVersionResource, namespace, name string) error

// Generate runs every generator of appSet, in order.
func (g *Generators) Generate(ctx context.Context, appSet *v1alpha1.ApplicationSet, opts Options) ([]Result, error) {
	run := &run{
		generators: g,
		appSet:     appSet,
		renderer:   template.NewRenderer(RenderOptions(appSet)),
		hard:       opts.Hard,
		authorize:  opts.Authorize,
	}
	results := make([]Result, 0, len(appSet.Spec.Generators))
	for i := range appSet.Spec.Generators {
		e, err := entryOf(&appSet.Spec.Generators[i])
		if err != nil {
			return nil, fmt.Errorf("generators[%d]: %w", i, err)
		}
		result, err := run.transform(ctx, e, appSet.Spec.Template, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("generators[%d] (%s): %w", i, e.kind(), err)
		}
		results = append(results, result)
	}
	return results, nil
}

// RenderOptions are the template options of appSet.
func RenderOptions(appSet *v1alpha1.ApplicationSet) template.Options {
	return template.Options{GoTemplate: appSet.Spec.GoTemplate, GoTemplateOptions: appSet.Spec.GoTemplateOptions}
}

// run is one generation of one ApplicationSet.
type run struct {
	generators *Generators
	appSet     *v1alpha1.ApplicationSet
	renderer   *template.Renderer
	hard       bool
	authorize  AuthorizeFunc
	// children remembers the parameters of matrix and merge children by
	// their rendered JSON: a second matrix child that uses no parameter of
	// the first runs once, not once per parameter set of the first.
	children map[string][]map[string]any
}

func (r *run) goTemplate() bool { return r.appSet.Spec.GoTemplate }

// Resources generators read besides Git, for Authorize.
var (
	secretsResource    = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	configMapsResource = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// mayRead asks Authorize, when set, whether the generation may verb a
// resource.
func (r *run) mayRead(ctx context.Context, verb string, resource schema.GroupVersionResource, namespace, name string) error {
	if r.authorize == nil {
		return nil
	}
	return r.authorize(ctx, verb, resource, namespace, name)
}

// maxDepth bounds nesting: a matrix or merge at the top, another inside it,
// and plain generators below, as in Argo CD.
const maxDepth = 2

// transform runs one generator entry: its parameters (after rendering the
// entry with the parameters of a matrix's first child, when given), filtered
// by its selector, and its template merged over base.
func (r *run) transform(ctx context.Context, e *entry, base v1alpha1.ApplicationSetTemplate, parentParams map[string]any, depth int) (Result, error) {
	if err := e.check(depth); err != nil {
		return Result{}, err
	}
	merged, err := template.Merge(e.template(), base)
	if err != nil {
		return Result{}, err
	}
	if len(parentParams) > 0 {
		interpolated := &entry{}
		if err := r.renderer.Object(e, parentParams, interpolated); err != nil {
			return Result{}, fmt.Errorf("render the generator with the parameters of the first matrix generator: %w", err)
		}
		e = interpolated
	}
	params, err := r.params(ctx, e, depth)
	if err != nil {
		return Result{}, err
	}
	selected, err := selectParams(e.Selector, params)
	if err != nil {
		return Result{}, err
	}
	return Result{Params: selected, Template: merged}, nil
}

// params dispatches to the generator the entry sets.
func (r *run) params(ctx context.Context, e *entry, depth int) ([]map[string]any, error) {
	switch {
	case e.List != nil:
		return r.list(e.List)
	case e.Clusters != nil:
		return r.clusters(ctx, e.Clusters)
	case e.Git != nil:
		return r.git(ctx, e.Git)
	case e.Matrix != nil:
		return r.matrix(ctx, e.Matrix, depth)
	case e.Merge != nil:
		return r.merge(ctx, e.Merge, depth)
	case e.SCMProvider != nil:
		return r.scmProvider(ctx, e.SCMProvider)
	case e.PullRequest != nil:
		return r.pullRequest(ctx, e.PullRequest)
	case e.Plugin != nil:
		return r.plugin(ctx, e.Plugin)
	case e.ClusterDecisionResource != nil:
		return r.clusterDecisionResource(ctx, e.ClusterDecisionResource)
	}
	return nil, fmt.Errorf("no generator is set")
}

// entry is a generator at any level — top level, in a matrix or merge, or in
// a nested one — decoded into one shape: the JSON of all three is the same.
type entry struct {
	List                    *v1alpha1.ListGenerator        `json:"list,omitempty"`
	Clusters                *v1alpha1.ClusterGenerator     `json:"clusters,omitempty"`
	Git                     *v1alpha1.GitGenerator         `json:"git,omitempty"`
	SCMProvider             *v1alpha1.SCMProviderGenerator `json:"scmProvider,omitempty"`
	ClusterDecisionResource *v1alpha1.DuckTypeGenerator    `json:"clusterDecisionResource,omitempty"`
	PullRequest             *v1alpha1.PullRequestGenerator `json:"pullRequest,omitempty"`
	Plugin                  *v1alpha1.PluginGenerator      `json:"plugin,omitempty"`
	Matrix                  *composite                     `json:"matrix,omitempty"`
	Merge                   *composite                     `json:"merge,omitempty"`
	Selector                *metav1.LabelSelector          `json:"selector,omitempty"`
}

// composite is a matrix or merge generator at any level.
type composite struct {
	Generators []entry                         `json:"generators"`
	MergeKeys  []string                        `json:"mergeKeys,omitempty"`
	Template   v1alpha1.ApplicationSetTemplate `json:"template,omitempty"`
}

// entryOf decodes any generator type into an entry.
func entryOf(generator any) (*entry, error) {
	data, err := json.Marshal(generator)
	if err != nil {
		return nil, err
	}
	e := &entry{}
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode the generator: %w", err)
	}
	return e, nil
}

// kinds names the generators the entry sets, by their JSON names.
func (e *entry) kinds() []string {
	var names []string
	for _, candidate := range []struct {
		set  bool
		name string
	}{
		{e.List != nil, "list"}, {e.Clusters != nil, "clusters"}, {e.Git != nil, "git"},
		{e.SCMProvider != nil, "scmProvider"}, {e.ClusterDecisionResource != nil, "clusterDecisionResource"},
		{e.PullRequest != nil, "pullRequest"}, {e.Plugin != nil, "plugin"},
		{e.Matrix != nil, "matrix"}, {e.Merge != nil, "merge"},
	} {
		if candidate.set {
			names = append(names, candidate.name)
		}
	}
	return names
}

// kind names the generator of the entry.
func (e *entry) kind() string {
	if kinds := e.kinds(); len(kinds) > 0 {
		return kinds[0]
	}
	return "none"
}

// check refuses an entry that sets no generator or several, and a matrix or
// merge nested deeper than Argo CD runs them.
func (e *entry) check(depth int) error {
	switch kinds := e.kinds(); {
	case len(kinds) == 0:
		return fmt.Errorf("no generator is set")
	case len(kinds) > 1:
		return fmt.Errorf("only one generator may be set per entry, found %v", kinds)
	}
	if (e.Matrix != nil || e.Merge != nil) && depth >= maxDepth {
		return fmt.Errorf("matrix and merge generators can be nested at most two levels deep")
	}
	return nil
}

// template is the entry's template override.
func (e *entry) template() v1alpha1.ApplicationSetTemplate {
	switch {
	case e.List != nil:
		return e.List.Template
	case e.Clusters != nil:
		return e.Clusters.Template
	case e.Git != nil:
		return e.Git.Template
	case e.SCMProvider != nil:
		return e.SCMProvider.Template
	case e.ClusterDecisionResource != nil:
		return e.ClusterDecisionResource.Template
	case e.PullRequest != nil:
		return e.PullRequest.Template
	case e.Plugin != nil:
		return e.Plugin.Template
	case e.Matrix != nil:
		return e.Matrix.Template
	case e.Merge != nil:
		return e.Merge.Template
	}
	return v1alpha1.ApplicationSetTemplate{}
}
