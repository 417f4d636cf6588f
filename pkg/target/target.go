// Package target turns an Application's sources into its target state:
// credentials, then the revision, then the files, then the renderer.
package target

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
	"capstan.dev/capstan/pkg/render"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/helmrepo"
	"capstan.dev/capstan/pkg/source/repourl"
)

// CredentialLookup finds the credentials of a repository.
type CredentialLookup interface {
	Lookup(repoURL string, opts credentials.LookupOptions) (credentials.Credentials, error)
}

// Source renders Applications' target states from Git repositories.
type Source struct {
	git         *git.Cache
	charts      chartFetcher
	renderer    *render.Renderer
	credentials CredentialLookup
}

// New returns a Source over a Git object store cache, a Helm chart client and
// renderer options; chart dependencies are fetched through the chart client.
func New(gitCache *git.Cache, charts *helmrepo.Client, renderOptions render.Options, creds CredentialLookup) *Source {
	RegisterMetrics()
	fetcher := chartFetcher{client: charts, credentials: creds}
	renderOptions.DependencyFetcher = fetcher
	return &Source{git: gitCache, charts: fetcher, renderer: render.NewRenderer(renderOptions), credentials: creds}
}

// Target is an Application's rendered target state.
type Target struct {
	// Revision is the resolved revision of a single-source Application.
	Revision string
	// Revisions are the resolved revisions of a multi-source Application.
	Revisions []string
	// Objects are the rendered objects; the caller fills in namespaces.
	Objects []*unstructured.Unstructured
	// SourceTypes are the detected tools, one per source.
	SourceTypes []v1alpha1.ApplicationSourceType
}

// resolvedSource is one source of an Application at a resolved revision.
type resolvedSource struct {
	source   v1alpha1.ApplicationSource
	revision string
	files    fs.FS
}

// Options tune one render of an Application's target state.
type Options struct {
	// KubeVersion and APIVersions describe the destination cluster for Helm.
	KubeVersion string
	APIVersions []string
	// Hard bypasses the cache of resolved revisions and the renderer's
	// memory of failed renders.
	Hard bool
	// Push is the push a webhook reported: the Git sources' listed refs are
	// renewed unless a listing already shows it (once per push, whatever the
	// number of Applications refreshed for it).
	Push *refresh.Push
	// Revision replaces the targetRevision of a single-source Application.
	Revision string
	// Revisions replace the targetRevisions of a multi-source Application,
	// one per source; an empty one keeps the source's targetRevision.
	Revisions []string
}

// Target resolves every source of app, reads its files and renders them.
func (s *Source) Target(ctx context.Context, app *v1alpha1.Application, opts Options) (*Target, error) {
	resolved, refs, multiple, err := s.resolveAll(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	target := &Target{}
	for i, r := range resolved {
		start := time.Now()
		result, err := s.renderer.Render(ctx, request(app, r, refs, multiple, opts))
		if err != nil {
			countRenderFailure(err)
			return nil, fmt.Errorf("source %d (%s): %w", i+1, repourl.Redact(r.source.RepoURL), err)
		}
		if result.Cached {
			renderCacheTotal.WithLabelValues("hit").Inc()
		} else {
			renderCacheTotal.WithLabelValues("miss").Inc()
			observeSince(renderDuration, string(result.SourceType), start)
		}
		// The result is this call's own copy.
		target.Objects = append(target.Objects, result.Objects...)
		target.SourceTypes = append(target.SourceTypes, result.SourceType)
		if multiple {
			target.Revisions = append(target.Revisions, r.revision)
		} else {
			target.Revision = r.revision
		}
	}
	return target, nil
}

// resolveAll resolves every source of app: its sources at their revisions,
// the files of those a "$ref" names, and whether app has several sources.
func (s *Source) resolveAll(ctx context.Context, app *v1alpha1.Application, opts Options) ([]resolvedSource, map[string]render.RefSource, bool, error) {
	sources, multiple, err := sourcesOf(app, opts)
	if err != nil {
		return nil, nil, false, err
	}
	resolved := make([]resolvedSource, len(sources))
	refs := map[string]render.RefSource{}
	for i, source := range sources {
		start, kind := time.Now(), "git"
		if source.Chart != "" {
			kind = "helm"
		}
		r, err := s.resolve(ctx, app, source, opts)
		observeSince(sourceDuration, kind, start)
		if err != nil {
			return nil, nil, false, fmt.Errorf("source %d (%s): %w", i+1, repourl.Redact(source.RepoURL), err)
		}
		resolved[i] = r
		if source.Ref != "" {
			refs[source.Ref] = render.RefSource{Repo: r.files, Revision: r.revision}
		}
	}
	return resolved, refs, multiple, nil
}

// sourcesOf returns app's sources with the revisions of opts in place of
// their target revisions, and whether app has several sources.
func sourcesOf(app *v1alpha1.Application, opts Options) ([]v1alpha1.ApplicationSource, bool, error) {
	sources := app.Spec.Sources
	multiple := len(sources) > 0
	if !multiple {
		if app.Spec.Source == nil {
			return nil, false, fmt.Errorf("the application has no source")
		}
		sources = []v1alpha1.ApplicationSource{*app.Spec.Source}
		if opts.Revision != "" {
			sources[0].TargetRevision = opts.Revision
		}
	} else if opts.Revision != "" {
		return nil, false, fmt.Errorf("a revision can only be given for a single-source application")
	}
	if len(opts.Revisions) > 0 {
		if !multiple || len(opts.Revisions) != len(sources) {
			return nil, false, fmt.Errorf("%d revisions given for %d sources", len(opts.Revisions), len(sources))
		}
		sources = append([]v1alpha1.ApplicationSource(nil), sources...)
		for i := range sources {
			if opts.Revisions[i] != "" {
				sources[i].TargetRevision = opts.Revisions[i]
			}
		}
	}
	return sources, multiple, nil
}

// request is the render request of one resolved source of app.
func request(app *v1alpha1.Application, r resolvedSource, refs map[string]render.RefSource, multiple bool, opts Options) render.Request {
	return render.Request{
		Source:               r.source,
		Repo:                 r.files,
		Revision:             r.revision,
		AppName:              app.Name,
		AppNamespace:         app.Namespace,
		DestinationNamespace: app.Spec.Destination.Namespace,
		DestinationServer:    app.Spec.Destination.Server,
		KubeVersion:          opts.KubeVersion,
		APIVersions:          opts.APIVersions,
		RefSources:           refs,
		Project:              app.Spec.Project,
		MultipleSources:      multiple,
		Hard:                 opts.Hard,
	}
}

// SourceParameters are the parameter announcements of one plugin source.
type SourceParameters struct {
	// Index of the source in the Application's sources.
	Index    int
	Source   v1alpha1.ApplicationSource
	Revision string
	render.PluginParameters
}

// Parameters resolves every source of app and returns the parameter
// announcements of those a config management plugin renders.
func (s *Source) Parameters(ctx context.Context, app *v1alpha1.Application, opts Options) ([]SourceParameters, error) {
	resolved, refs, multiple, err := s.resolveAll(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	var out []SourceParameters
	for i, r := range resolved {
		params, err := s.renderer.Parameters(ctx, request(app, r, refs, multiple, opts))
		if err != nil {
			return nil, fmt.Errorf("source %d (%s): %w", i+1, repourl.Redact(r.source.RepoURL), err)
		}
		if params != nil {
			out = append(out, SourceParameters{Index: i, Source: r.source, Revision: r.revision, PluginParameters: *params})
		}
	}
	return out, nil
}

// Revisions resolves the revisions of app's sources the way Target does,
// without opening their files or rendering: the commit (or chart version) of
// a single-source Application, or one per source. It reads the shared ref
// listings and chart indexes, so that a refresh learns whether anything new
// is to be rendered at the cost of a map lookup.
func (s *Source) Revisions(ctx context.Context, app *v1alpha1.Application, opts Options) (string, []string, error) {
	sources, multiple, err := sourcesOf(app, opts)
	if err != nil {
		return "", nil, err
	}
	revisions := make([]string, len(sources))
	for i, source := range sources {
		if revisions[i], err = s.revision(ctx, app, source); err != nil {
			return "", nil, fmt.Errorf("source %d (%s): %w", i+1, repourl.Redact(source.RepoURL), err)
		}
	}
	if multiple {
		return "", revisions, nil
	}
	return revisions[0], nil, nil
}

// revision resolves one source's revision without fetching its files (a
// chart version already fetched is found in the chart cache).
func (s *Source) revision(ctx context.Context, app *v1alpha1.Application, source v1alpha1.ApplicationSource) (string, error) {
	if source.Chart != "" {
		passCredentials := source.Helm != nil && source.Helm.PassCredentials
		creds, err := s.credentials.Lookup(source.RepoURL, credentials.LookupOptions{Type: "helm", Project: app.Spec.Project})
		if err != nil {
			return "", err
		}
		chart, err := s.charts.client.Fetch(ctx, source.RepoURL, source.Chart, source.TargetRevision, creds, helmrepo.FetchOptions{PassCredentials: passCredentials})
		if err != nil {
			return "", err
		}
		return chart.Version, nil
	}
	creds, err := s.credentials.Lookup(source.RepoURL, credentials.LookupOptions{Project: app.Spec.Project})
	if err != nil {
		return "", err
	}
	revision, err := s.git.Resolve(ctx, source.RepoURL, source.TargetRevision, creds)
	if err != nil {
		return "", err
	}
	return revision.Commit, nil
}

// resolve finds the commit of a Git source and opens its tree.
func (s *Source) resolve(ctx context.Context, app *v1alpha1.Application, source v1alpha1.ApplicationSource, opts Options) (resolvedSource, error) {
	switch {
	case opts.Hard:
		s.git.Invalidate(source.RepoURL)
		s.charts.client.Invalidate(source.RepoURL)
	case opts.Push != nil && source.Chart == "":
		s.git.InvalidateForPush(source.RepoURL, opts.Push.Ref, opts.Push.Commit)
	}
	if source.Chart != "" {
		passCredentials := source.Helm != nil && source.Helm.PassCredentials
		files, version, err := s.charts.fetch(ctx, source.RepoURL, source.Chart, source.TargetRevision, app.Spec.Project, passCredentials)
		if err != nil {
			return resolvedSource{}, err
		}
		return resolvedSource{source: source, revision: version, files: files}, nil
	}
	creds, err := s.credentials.Lookup(source.RepoURL, credentials.LookupOptions{Project: app.Spec.Project})
	if err != nil {
		return resolvedSource{}, err
	}
	revision, err := s.git.Resolve(ctx, source.RepoURL, source.TargetRevision, creds)
	if err != nil {
		return resolvedSource{}, err
	}
	if err := s.git.Fetch(ctx, source.RepoURL, revision.Commit, creds); err != nil {
		return resolvedSource{}, err
	}
	files, err := s.git.Tree(ctx, source.RepoURL, revision.Commit, creds)
	if err != nil {
		return resolvedSource{}, err
	}
	return resolvedSource{source: source, revision: revision.Commit, files: files}, nil
}

// GitFiles resolves revision of a Git repository with the credentials
// project may use, and returns the commit and its files, from the same object
// store and ref listings the renders use (for the ApplicationSet Git
// generator). hard lists the refs again instead of reusing the shared listing.
func (s *Source) GitFiles(ctx context.Context, repoURL, revision, project string, hard bool) (string, fs.FS, error) {
	if hard {
		s.git.Invalidate(repoURL)
	}
	creds, err := s.credentials.Lookup(repoURL, credentials.LookupOptions{Project: project})
	if err != nil {
		return "", nil, err
	}
	resolved, tree, err := s.git.Open(ctx, repoURL, revision, creds)
	if err != nil {
		return "", nil, err
	}
	return resolved.Commit, tree, nil
}
