package render

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// renderKustomize builds the kustomization at the source path like Argo CD's
// `kustomize build` (default options: load restrictions root-only, plugins
// and Helm inflation off, legacy resource order) over an in-memory copy of
// the repository, after applying the source's Kustomize options to that copy.
func (r *Renderer) renderKustomize(ctx context.Context, job *renderJob) ([]*unstructured.Unstructured, error) {
	fsys := newRepoFileSystem(job.req.Repo, r.opts.AllowRemoteBases)
	dir := "/" + strings.TrimPrefix(job.appDir, ".")
	if job.source.Kustomize != nil {
		if err := applyKustomizeOverrides(fsys, dir, job.source.Kustomize, job.env); err != nil {
			return nil, err
		}
	}
	if !r.opts.AllowRemoteBases {
		if err := refuseRemoteReferences(fsys, dir, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	options := krusty.MakeDefaultOptions()
	options.Reorder = krusty.ReorderOptionUnspecified // what `kustomize build` uses without --reorder
	resources, err := krusty.MakeKustomizer(options).Run(fsys, dir)
	if err != nil {
		return nil, err
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("encode kustomize build output: %w", err)
	}
	if err := r.checkOutputSize(int64(len(out)), "the kustomize build output"); err != nil {
		return nil, err
	}
	return splitYAML(out, "kustomize build output")
}

// refuseRemoteReferences walks the kustomizations reachable from dir and
// fails on the first remote base, component or file (git URL or HTTP), before
// Kustomize would clone or download it.
func refuseRemoteReferences(fsys filesys.FileSystem, dir string, visited map[string]bool) error {
	if visited[dir] {
		return nil
	}
	visited[dir] = true
	file, k, err := findKustomization(fsys, dir)
	if err != nil || k == nil {
		return err
	}
	for _, ref := range kustomizationReferences(k) {
		if looksRemote(ref.value) {
			return fmt.Errorf("%w: %s in %s refers to remote %q", ErrRemoteBase, ref.field, file, ref.value)
		}
		if !ref.mayBeDirectory || strings.Contains(ref.value, "\n") {
			continue
		}
		sub := path.Join(dir, ref.value)
		if fsys.IsDir(sub) {
			if err := refuseRemoteReferences(fsys, sub, visited); err != nil {
				return err
			}
		}
	}
	return nil
}

// findKustomization reads the kustomization in dir, if there is one.
func findKustomization(fsys filesys.FileSystem, dir string) (string, *types.Kustomization, error) {
	for _, name := range kustomizationNames {
		file := path.Join(dir, name)
		if !fsys.Exists(file) || fsys.IsDir(file) {
			continue
		}
		data, err := fsys.ReadFile(file)
		if err != nil {
			return file, nil, fmt.Errorf("read %s: %w", file, err)
		}
		k := &types.Kustomization{}
		if err := k.Unmarshal(data); err != nil {
			// Kustomize reports the syntax error itself, with more context.
			return file, nil, nil
		}
		k.FixKustomization()
		return file, k, nil
	}
	return "", nil, nil
}

// kustomizationReference is one path or URL a kustomization loads.
type kustomizationReference struct {
	field          string
	value          string
	mayBeDirectory bool
}

// kustomizationReferences lists everything k may load from elsewhere.
func kustomizationReferences(k *types.Kustomization) []kustomizationReference {
	var refs []kustomizationReference
	add := func(field string, dirs bool, values ...string) {
		for _, v := range values {
			if v != "" {
				refs = append(refs, kustomizationReference{field: field, value: v, mayBeDirectory: dirs})
			}
		}
	}
	add("resources", true, k.Resources...)
	add("components", true, k.Components...)
	add("generators", true, k.Generators...)
	add("transformers", true, k.Transformers...)
	add("validators", true, k.Validators...)
	add("crds", false, k.Crds...)
	add("configurations", false, k.Configurations...)
	add("openapi", false, k.OpenAPI["path"])
	for _, p := range k.Patches {
		add("patches", false, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		add("patchesStrategicMerge", false, string(p))
	}
	for _, p := range k.PatchesJson6902 {
		add("patchesJson6902", false, p.Path)
	}
	for _, r := range k.Replacements {
		add("replacements", false, r.Path)
	}
	for _, g := range append(append([]types.ConfigMapArgs{}, k.ConfigMapGenerator...), secretsAsConfigMaps(k.SecretGenerator)...) {
		add("configMapGenerator/secretGenerator", false, g.FileSources...)
		add("configMapGenerator/secretGenerator", false, g.EnvSources...)
		add("configMapGenerator/secretGenerator", false, g.EnvSource)
	}
	return refs
}

// secretsAsConfigMaps exposes the file sources of secret generators.
func secretsAsConfigMaps(secrets []types.SecretArgs) []types.ConfigMapArgs {
	out := make([]types.ConfigMapArgs, len(secrets))
	for i, s := range secrets {
		out[i] = types.ConfigMapArgs{GeneratorArgs: s.GeneratorArgs}
	}
	return out
}

// scpLike matches git's user@host:path syntax.
var scpLike = regexp.MustCompile(`^[^/@:\s]+@[^/:\s]+:`)

// looksRemote reports whether Kustomize would treat ref as a remote git
// repository or an HTTP file: a URL with a scheme, the git:: prefix, scp-like
// user@host:path, or a github.com path (Kustomize's own rules). A file source
// written key=path is judged by its path.
func looksRemote(ref string) bool {
	ref = strings.TrimSpace(ref)
	if key, value, ok := strings.Cut(ref, "="); ok && !strings.ContainsAny(key, "/:?") {
		ref = value
	}
	lower := strings.ToLower(ref)
	if strings.HasPrefix(lower, "git::") || strings.HasPrefix(lower, "github.com/") || strings.HasPrefix(lower, "github.com:") {
		return true
	}
	if scpLike.MatchString(ref) {
		return true
	}
	u, err := url.Parse(ref)
	return err == nil && u.Scheme != "" && u.Scheme != "file" || strings.HasPrefix(lower, "file://")
}
