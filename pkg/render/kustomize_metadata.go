package render

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// addLabels is `kustomize edit add label` with Argo CD's flags: --force for
// forceCommonLabels, --without-selector for labelWithoutSelector (the labels
// go to `labels` with includeSelectors false) and --include-templates. Label
// values get the build environment substituted, as Argo CD does.
func addLabels(k *types.Kustomization, opts *v1alpha1.ApplicationSourceKustomize, env buildEnv) error {
	if len(opts.CommonLabels) == 0 {
		return nil
	}
	if opts.LabelIncludeTemplates && !opts.LabelWithoutSelector {
		return errors.New("kustomize labelIncludeTemplates requires labelWithoutSelector (--without-selector flag must be specified for --include-templates to work)")
	}
	labels := make(map[string]string, len(opts.CommonLabels))
	for name, value := range opts.CommonLabels {
		labels[name] = trimQuotes(env.substitute(value))
	}
	if err := validateLabels(labels); err != nil {
		return err
	}
	if !opts.LabelWithoutSelector {
		if k.CommonLabels == nil {
			k.CommonLabels = map[string]string{}
		}
		return writeMetadata(k.CommonLabels, labels, opts.ForceCommonLabels, "label")
	}
	added := map[string]string{}
	for _, name := range sortedKeys(labels) {
		present := false
		for _, existing := range k.Labels {
			if _, ok := existing.Pairs[name]; !ok {
				continue
			}
			if !opts.ForceCommonLabels {
				return fmt.Errorf("label %s already in kustomization file", name)
			}
			existing.Pairs[name] = labels[name]
			present = true
		}
		if !present {
			added[name] = labels[name]
		}
	}
	if len(added) > 0 {
		k.Labels = append(k.Labels, types.Label{Pairs: added, IncludeTemplates: opts.LabelIncludeTemplates})
	}
	return nil
}

// addAnnotations is `kustomize edit add annotation` (with --force for
// forceCommonAnnotations); values get the build environment substituted only
// when commonAnnotationsEnvsubst is set.
func addAnnotations(k *types.Kustomization, opts *v1alpha1.ApplicationSourceKustomize, env buildEnv) error {
	if len(opts.CommonAnnotations) == 0 {
		return nil
	}
	annotations := make(map[string]string, len(opts.CommonAnnotations))
	for name, value := range opts.CommonAnnotations {
		if opts.CommonAnnotationsEnvsubst {
			value = env.substitute(value)
		}
		annotations[name] = trimQuotes(value)
	}
	for name := range annotations {
		if errs := validation.IsQualifiedName(name); len(errs) > 0 {
			return fmt.Errorf("invalid annotation key %q: %s", name, strings.Join(errs, "; "))
		}
	}
	if k.CommonAnnotations == nil {
		k.CommonAnnotations = map[string]string{}
	}
	return writeMetadata(k.CommonAnnotations, annotations, opts.ForceCommonAnnotations, "annotation")
}

// writeMetadata adds pairs to m, refusing to overwrite without force.
func writeMetadata(m, pairs map[string]string, force bool, kind string) error {
	for _, name := range sortedKeys(pairs) {
		if _, ok := m[name]; ok && !force {
			return fmt.Errorf("%s %s already in kustomization file", kind, name)
		}
		m[name] = pairs[name]
	}
	return nil
}

// validateLabels checks label keys and values like kustomize's label validator.
func validateLabels(labels map[string]string) error {
	for name, value := range labels {
		if errs := validation.IsQualifiedName(name); len(errs) > 0 {
			return fmt.Errorf("invalid label key %q: %s", name, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			return fmt.Errorf("invalid label value %q for %q: %s", value, name, strings.Join(errs, "; "))
		}
	}
	return nil
}

// trimQuotes drops one pair of surrounding double quotes, as kustomize does
// when it parses key:"value" arguments.
func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// setNamespace is `kustomize edit set namespace`.
func setNamespace(k *types.Kustomization, namespace string) error {
	if namespace == "" {
		return nil
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return fmt.Errorf("invalid kustomize namespace %q: %s", namespace, strings.Join(errs, "; "))
	}
	k.Namespace = namespace
	return nil
}

// addPatches appends the source's patches to the kustomization's, as Argo CD
// writes them into kustomization.yaml.
func addPatches(k *types.Kustomization, patches v1alpha1.KustomizePatches) error {
	for i, p := range patches {
		patch := types.Patch{Path: p.Path, Patch: p.Patch}
		if len(p.Options) > 0 {
			patch.Options = &types.PatchArgs{}
			for name, value := range p.Options {
				switch name {
				case "allowNameChange":
					patch.Options.AllowNameChange = value
				case "allowKindChange":
					patch.Options.AllowKindChange = value
				default:
					return fmt.Errorf("kustomize patch %d: unknown option %q", i, name)
				}
			}
		}
		if p.Target != nil {
			patch.Target = &types.Selector{
				ResId:              kustomizeResID(p.Target),
				AnnotationSelector: p.Target.AnnotationSelector,
				LabelSelector:      p.Target.LabelSelector,
			}
		}
		k.Patches = append(k.Patches, patch)
	}
	return nil
}

// addComponents is `kustomize edit add component`: each entry is a glob
// relative to dir; a missing one is an error unless ignoreMissingComponents;
// components already listed are not added twice.
func addComponents(fsys filesys.FileSystem, dir, file string, k *types.Kustomization, opts *v1alpha1.ApplicationSourceKustomize) error {
	for _, component := range opts.Components {
		matches, err := componentMatches(fsys, dir, component)
		if err != nil {
			return err
		}
		if len(matches) == 0 {
			if opts.IgnoreMissingComponents {
				continue
			}
			if looksRemote(component) {
				matches = []string{component}
			} else {
				return fmt.Errorf("%w: kustomize component %s has no match in %s", ErrNotFound, component, dir)
			}
		}
		for _, match := range matches {
			if path.Join(dir, match) == file || slices.Contains(k.Components, match) {
				continue
			}
			k.Components = append(k.Components, match)
		}
	}
	return nil
}

// componentMatches globs pattern relative to dir, returning relative paths.
func componentMatches(fsys filesys.FileSystem, dir, pattern string) ([]string, error) {
	if looksRemote(pattern) {
		return nil, nil
	}
	if _, err := resolveInRepo(strings.TrimPrefix(dir, "/"), pattern); err != nil && !strings.HasPrefix(pattern, "/") {
		return nil, fmt.Errorf("kustomize component %s: %w", pattern, err)
	}
	matches, err := fsys.Glob(path.Join(dir, pattern))
	if err != nil {
		return nil, fmt.Errorf("kustomize component %s: %w", pattern, err)
	}
	sort.Strings(matches)
	rel := make([]string, 0, len(matches))
	for _, m := range matches {
		rel = append(rel, relativeComponentPath(dir, m, pattern))
	}
	return rel, nil
}

// relativeComponentPath keeps the user's spelling for an exact match and
// otherwise expresses a glob match relative to dir, as `kustomize edit`
// (which runs in dir) records it.
func relativeComponentPath(dir, match, pattern string) string {
	if path.Join(dir, pattern) == match {
		return pattern
	}
	if rel := strings.TrimPrefix(match, strings.TrimSuffix(dir, "/")+"/"); rel != match {
		return rel
	}
	return match
}

// kustomizeResID converts Argo CD's patch target id to Kustomize's.
func kustomizeResID(target *v1alpha1.KustomizeSelector) resid.ResId {
	return resid.ResId{
		Gvk:       resid.Gvk{Group: target.Group, Version: target.Version, Kind: target.Kind},
		Name:      target.Name,
		Namespace: target.Namespace,
	}
}

// sortedKeys returns the keys of m in order, so edits are deterministic.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
