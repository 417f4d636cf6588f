package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// renderJob is a request after validation and tool detection: everything the
// tools need, and the cache key.
type renderJob struct {
	req *Request
	// source is the request's source with .argocd-source*.yaml overrides
	// merged and empty option blocks dropped.
	source v1alpha1.ApplicationSource
	// appDir is the io/fs path of the source path in req.Repo.
	appDir     string
	sourceType v1alpha1.ApplicationSourceType
	env        buildEnv
	key        string
}

// displayName is the path or chart named in errors.
func (j *renderJob) displayName() string {
	if j.req.Source.Chart != "" {
		return j.req.Source.Chart
	}
	return j.req.Source.Path
}

// error wraps err in an *Error naming the job's source.
func (j *renderJob) error(err error) *Error {
	return &Error{SourceType: j.sourceType, Path: j.displayName(), Revision: j.req.Revision, Err: err}
}

// prepare validates req, merges overrides, detects the tool and computes the
// cache key. The returned job is never nil, so errors can name what failed.
func (r *Renderer) prepare(req *Request) (*renderJob, error) {
	job := &renderJob{req: req}
	if req.Repo == nil {
		return job, errors.New("no repository tree to render from")
	}
	appDir, err := cleanSourcePath(req.Source.Path)
	if err != nil {
		return job, err
	}
	if err := statDir(req.Repo, appDir); err != nil {
		return job, err
	}
	job.appDir = appDir
	source, err := mergeSourceParameters(req.Source, req.Repo, appDir, req.AppName)
	if err != nil {
		return job, fmt.Errorf("parse source parameter overrides: %w", err)
	}
	normalizeSource(&source)
	job.source = source
	job.sourceType, err = sourceType(&source, req.Repo, appDir)
	if err != nil {
		return job, err
	}
	if job.sourceType == v1alpha1.ApplicationSourceTypePlugin && r.opts.Plugins == nil {
		return job, ErrPluginUnsupported
	}
	job.env = newBuildEnv(req)
	job.key, err = cacheKey(job)
	if err != nil {
		return job, err
	}
	return job, nil
}

// cacheKeyFields is hashed into the cache key. Fields that cannot change the
// output of the job's tool are left empty, so that Applications that differ
// only in them share a result.
type cacheKeyFields struct {
	RepoURL     string            `json:"repoURL"`
	Revision    string            `json:"revision"`
	Path        string            `json:"path"`
	SourceType  string            `json:"sourceType"`
	Source      json.RawMessage   `json:"source"`
	AppName     string            `json:"appName,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Project     string            `json:"project,omitempty"`
	KubeVersion string            `json:"kubeVersion,omitempty"`
	APIVersions []string          `json:"apiVersions,omitempty"`
	Refs        map[string]string `json:"refs,omitempty"`
}

// cacheKey identifies a render by repository, revision, path, the effective
// source spec, and what else can influence the tool: for Helm the release name
// and namespace defaults, the destination's Kubernetes and API versions and
// referenced sources; for every tool the build environment when the spec
// substitutes variables ("$" appears in it).
//
// The source's targetRevision is left out unless the tool can see it (a
// plugin's environment, or a spec that substitutes variables, has
// ARGOCD_APP_SOURCE_TARGET_REVISION): the resolved revision keys the files,
// and an operation, which names the commit its comparison resolved, then
// shares the render of a comparison that named the branch.
func cacheKey(job *renderJob) (string, error) {
	source := job.source
	source.TargetRevision = ""
	spec, err := json.Marshal(source)
	if err != nil {
		return "", fmt.Errorf("encode source: %w", err)
	}
	fields := cacheKeyFields{
		RepoURL:    job.req.Source.RepoURL,
		Revision:   job.req.Revision,
		Path:       job.appDir,
		SourceType: string(job.sourceType),
		Source:     spec,
	}
	usesEnv := strings.Contains(string(spec), "$")
	isHelm := job.sourceType == v1alpha1.ApplicationSourceTypeHelm
	// A plugin sees the whole environment: every field of it keys the result.
	isPlugin := job.sourceType == v1alpha1.ApplicationSourceTypePlugin
	if isPlugin || usesEnv {
		if spec, err = json.Marshal(job.source); err != nil {
			return "", fmt.Errorf("encode source: %w", err)
		}
		fields.Source = spec
	}
	if isHelm || isPlugin || usesEnv {
		fields.AppName = job.req.AppName
		fields.Namespace = job.req.DestinationNamespace
		fields.Project = job.req.Project
	}
	if isHelm || isPlugin {
		fields.KubeVersion = job.req.KubeVersion
		fields.APIVersions = append([]string(nil), job.req.APIVersions...)
		sort.Strings(fields.APIVersions)
		if len(job.req.RefSources) > 0 {
			fields.Refs = make(map[string]string, len(job.req.RefSources))
			for name, ref := range job.req.RefSources {
				fields.Refs[strings.TrimPrefix(name, "$")] = ref.RepoURL + "@" + ref.Revision
			}
		}
	}
	encoded, err := json.Marshal(fields)
	if err != nil {
		return "", fmt.Errorf("encode cache key: %w", err)
	}
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:]), nil
}
