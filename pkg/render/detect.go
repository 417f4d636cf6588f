package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"strings"

	jsonpatch "github.com/evanphx/json-patch"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// kustomizationNames are the file names that make a directory a kustomization,
// in the order Kustomize looks for them.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Files in the application directory that override parameters of the source,
// read and merged exactly like Argo CD's .argocd-source*.yaml files.
const (
	repoSourceFile = ".argocd-source.yaml"
	appSourceFile  = ".argocd-source-%s.yaml"
)

// mergeSourceParameters returns source with the parameter overrides found in
// appDir applied as JSON merge patches: first .argocd-source.yaml, then
// .argocd-source-<appName>.yaml. Only tool options change; repoURL, path,
// chart and targetRevision are kept.
func mergeSourceParameters(source v1alpha1.ApplicationSource, repo fs.FS, appDir, appName string) (v1alpha1.ApplicationSource, error) {
	files := []string{path.Join(appDir, repoSourceFile)}
	if appName != "" {
		files = append(files, path.Join(appDir, fmt.Sprintf(appSourceFile, appName)))
	}
	merged := *source.DeepCopy()
	for _, name := range files {
		info, err := fs.Stat(repo, name)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && info.IsDir()) {
			continue
		}
		if err != nil {
			return source, fmt.Errorf("stat %s: %w", name, err)
		}
		patch, err := fs.ReadFile(repo, name)
		if err != nil {
			return source, fmt.Errorf("read %s: %w", name, err)
		}
		current, err := json.Marshal(merged)
		if err != nil {
			return source, fmt.Errorf("%s: %w", name, err)
		}
		patchJSON, err := yaml.YAMLToJSON(patch)
		if err != nil {
			return source, fmt.Errorf("%s: %w", name, err)
		}
		out, err := jsonpatch.MergePatch(current, patchJSON)
		if err != nil {
			return source, fmt.Errorf("%s: %w", name, err)
		}
		var next v1alpha1.ApplicationSource
		if err := json.Unmarshal(out, &next); err != nil {
			return source, fmt.Errorf("%s: %w", name, err)
		}
		merged = next
	}
	merged.RepoURL = source.RepoURL
	merged.Path = source.Path
	merged.Chart = source.Chart
	merged.TargetRevision = source.TargetRevision
	return merged, nil
}

// normalizeSource drops tool blocks that carry no option, as Argo CD's API
// server does before a source reaches the repo server, so that an empty
// `helm: {}` does not force a tool.
func normalizeSource(source *v1alpha1.ApplicationSource) {
	if source.Helm != nil && reflect.DeepEqual(*source.Helm, v1alpha1.ApplicationSourceHelm{}) {
		source.Helm = nil
	}
	if source.Kustomize != nil && reflect.DeepEqual(*source.Kustomize, v1alpha1.ApplicationSourceKustomize{}) {
		source.Kustomize = nil
	}
	if source.Directory != nil && reflect.DeepEqual(*source.Directory, v1alpha1.ApplicationSourceDirectory{}) {
		source.Directory = nil
	}
	if source.Plugin != nil && reflect.DeepEqual(*source.Plugin, v1alpha1.ApplicationSourcePlugin{}) {
		source.Plugin = nil
	}
}

// explicitType returns the tool named by the source's option block, nil when
// there is none, and an error when several are set (Argo CD's ExplicitType).
func explicitType(source *v1alpha1.ApplicationSource) (*v1alpha1.ApplicationSourceType, error) {
	var types []v1alpha1.ApplicationSourceType
	if source.Kustomize != nil {
		types = append(types, v1alpha1.ApplicationSourceTypeKustomize)
	}
	if source.Helm != nil {
		types = append(types, v1alpha1.ApplicationSourceTypeHelm)
	}
	if source.Directory != nil {
		types = append(types, v1alpha1.ApplicationSourceTypeDirectory)
	}
	if source.Plugin != nil {
		types = append(types, v1alpha1.ApplicationSourceTypePlugin)
	}
	switch len(types) {
	case 0:
		return nil, nil
	case 1:
		return &types[0], nil
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return nil, fmt.Errorf("multiple application sources defined: %s", strings.Join(names, ","))
}

// discoverType looks at the files directly in appDir the way Argo CD's
// discovery does: a file whose name ends in "Chart.yaml" makes it Helm, a
// kustomization file makes it Kustomize (and wins over Helm, because Argo CD
// visits files in lexical order and "kustomization*" sorts after
// "*Chart.yaml"), anything else is a plain Directory.
func discoverType(repo fs.FS, appDir string) (v1alpha1.ApplicationSourceType, error) {
	entries, err := fs.ReadDir(repo, appDir)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", displayPath(appDir), err)
	}
	found := v1alpha1.ApplicationSourceTypeDirectory
	for _, entry := range entries {
		if entry.IsDir() {
			continue
		}
		name := entry.Name()
		if strings.HasSuffix(name, "Chart.yaml") && found == v1alpha1.ApplicationSourceTypeDirectory {
			found = v1alpha1.ApplicationSourceTypeHelm
		}
		for _, k := range kustomizationNames {
			if name == k {
				found = v1alpha1.ApplicationSourceTypeKustomize
			}
		}
	}
	return found, nil
}

// sourceType decides the tool for source at appDir: an explicit option block
// wins, otherwise the files decide.
func sourceType(source *v1alpha1.ApplicationSource, repo fs.FS, appDir string) (v1alpha1.ApplicationSourceType, error) {
	explicit, err := explicitType(source)
	if err != nil {
		return "", err
	}
	if explicit != nil {
		return *explicit, nil
	}
	return discoverType(repo, appDir)
}
