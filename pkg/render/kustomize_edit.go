package render

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// applyKustomizeOverrides applies the source's Kustomize options to the
// in-memory copy of the kustomization in dir, with the same edits, in the same
// order and with the same errors as the `kustomize edit` commands Argo CD runs
// on its checkout: set nameprefix, set namesuffix, set image, set replicas,
// add label, add annotation, set namespace, then patches and add component.
// Editing the kustomization itself (rather than wrapping it in an overlay)
// keeps Argo CD's semantics: a namePrefix replaces the kustomization's own,
// an image override is merged with its images, components and patches run
// before its transformers. The repository is not touched.
func applyKustomizeOverrides(fsys filesys.FileSystem, dir string, opts *v1alpha1.ApplicationSourceKustomize, env buildEnv) error {
	if !needsKustomizationEdit(opts) {
		return nil
	}
	file, k, err := readKustomization(fsys, dir)
	if err != nil {
		return err
	}
	if opts.NamePrefix != "" {
		k.NamePrefix = opts.NamePrefix
	}
	if opts.NameSuffix != "" {
		k.NameSuffix = opts.NameSuffix
	}
	steps := []func(*types.Kustomization) error{
		func(k *types.Kustomization) error { return setImages(k, opts.Images, env) },
		func(k *types.Kustomization) error { return setReplicas(k, opts.Replicas) },
		func(k *types.Kustomization) error { return addLabels(k, opts, env) },
		func(k *types.Kustomization) error { return addAnnotations(k, opts, env) },
		func(k *types.Kustomization) error { return setNamespace(k, opts.Namespace) },
		func(k *types.Kustomization) error { return addPatches(k, opts.Patches) },
		func(k *types.Kustomization) error { return addComponents(fsys, dir, file, k, opts) },
	}
	for _, step := range steps {
		if err := step(k); err != nil {
			return err
		}
	}
	out, err := yaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode %s: %w", file, err)
	}
	return fsys.WriteFile(file, out)
}

// needsKustomizationEdit reports whether any option edits the kustomization
// (kubeVersion and apiVersions only matter to Helm inflation).
func needsKustomizationEdit(opts *v1alpha1.ApplicationSourceKustomize) bool {
	return opts.NamePrefix != "" || opts.NameSuffix != "" || len(opts.Images) > 0 || len(opts.Replicas) > 0 ||
		len(opts.CommonLabels) > 0 || len(opts.CommonAnnotations) > 0 || opts.Namespace != "" ||
		len(opts.Patches) > 0 || len(opts.Components) > 0
}

// readKustomization reads the kustomization file in dir as `kustomize edit` does.
func readKustomization(fsys filesys.FileSystem, dir string) (string, *types.Kustomization, error) {
	for _, name := range kustomizationNames {
		file := path.Join(dir, name)
		if !fsys.Exists(file) {
			continue
		}
		data, err := fsys.ReadFile(file)
		if err != nil {
			return "", nil, fmt.Errorf("read %s: %w", file, err)
		}
		k := &types.Kustomization{}
		if err := k.Unmarshal(data); err != nil {
			return "", nil, fmt.Errorf("parse %s: %w", file, err)
		}
		k.FixKustomization()
		return file, k, nil
	}
	return "", nil, fmt.Errorf("%w: no kustomization file (%s) in %s to apply the kustomize options to",
		ErrNotFound, strings.Join(kustomizationNames, ", "), dir)
}

// imageTag matches name:tag, the tag as `kustomize edit set image` allows it.
var imageTag = regexp.MustCompile(`^(.*):([a-zA-Z0-9._-]*|\*)$`)

// preserve in an image override keeps the kustomization's value.
const preserve = "*"

// setImages is `kustomize edit set image` with the build environment
// substituted into each image (Argo CD allows ${ARGOCD_APP_REVISION} there).
func setImages(k *types.Kustomization, images v1alpha1.KustomizeImages, env buildEnv) error {
	if len(images) == 0 {
		return nil
	}
	overrides := map[string]types.Image{}
	for _, image := range images {
		parsed, err := parseImageOverride(env.substitute(string(image)))
		if err != nil {
			return fmt.Errorf("kustomize image %q: %w", image, err)
		}
		overrides[parsed.Name] = parsed
	}
	for _, existing := range k.Images {
		override, ok := overrides[existing.Name]
		if !ok {
			overrides[existing.Name] = existing
			continue
		}
		if override.NewName == preserve {
			override.NewName = existing.NewName
		}
		if override.NewTag == preserve {
			override.NewTag = existing.NewTag
		}
		if override.Digest == preserve {
			override.Digest = existing.Digest
		}
		overrides[existing.Name] = override
	}
	k.Images = k.Images[:0]
	for _, image := range overrides {
		for _, field := range []*string{&image.NewName, &image.NewTag, &image.Digest} {
			if *field == preserve {
				*field = ""
			}
		}
		k.Images = append(k.Images, image)
	}
	sort.Slice(k.Images, func(i, j int) bool { return k.Images[i].Name < k.Images[j].Name })
	return nil
}

// parseImageOverride parses [name=]newName[:tag][@digest] or name:tag /
// name@digest like `kustomize edit set image`.
func parseImageOverride(arg string) (types.Image, error) {
	if name, replacement, ok := strings.Cut(arg, "="); ok && !strings.Contains(replacement, "=") {
		newName, tag, digest, err := splitImageReference(replacement, true)
		return types.Image{Name: name, NewName: newName, NewTag: tag, Digest: digest}, err
	}
	name, tag, digest, err := splitImageReference(arg, false)
	return types.Image{Name: name, NewTag: tag, Digest: digest}, err
}

// splitImageReference splits image[:tag][@digest]; a bare image is only valid
// as the replacement of an image=replacement override.
func splitImageReference(arg string, bareAllowed bool) (name, tag, digest string, err error) {
	if before, after, ok := strings.Cut(arg, "@"); ok {
		if m := imageTag.FindStringSubmatch(before); m != nil && !strings.Contains(m[2], "/") {
			return m[1], m[2], after, nil
		}
		return before, "", after, nil
	}
	if m := imageTag.FindStringSubmatch(arg); m != nil {
		return m[1], m[2], "", nil
	}
	if arg != "" && bareAllowed {
		return arg, "", "", nil
	}
	return "", "", "", errors.New("invalid format of image, use one of <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, <image>=<newimage>, <image>:<newtag>, <image>@<digest>")
}

// setReplicas is `kustomize edit set replicas name=count`.
func setReplicas(k *types.Kustomization, replicas v1alpha1.KustomizeReplicas) error {
	if len(replicas) == 0 {
		return nil
	}
	byName := map[string]types.Replica{}
	for _, replica := range replicas {
		count, err := replicaCount(replica.Count)
		if err != nil {
			return fmt.Errorf("kustomize replicas %q: %w", replica.Name, err)
		}
		byName[replica.Name] = types.Replica{Name: replica.Name, Count: count}
	}
	for _, existing := range k.Replicas {
		if _, ok := byName[existing.Name]; !ok {
			byName[existing.Name] = existing
		}
	}
	k.Replicas = k.Replicas[:0]
	for _, replica := range byName {
		k.Replicas = append(k.Replicas, replica)
	}
	sort.Slice(k.Replicas, func(i, j int) bool { return k.Replicas[i].Name < k.Replicas[j].Name })
	return nil
}

// replicaCount reads a count given as a number or a string of digits.
func replicaCount(count intstr.IntOrString) (int64, error) {
	if count.Type == intstr.Int {
		return int64(count.IntVal), nil
	}
	n, err := strconv.ParseInt(count.StrVal, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected integer value for count. Received: %s", count.StrVal)
	}
	return n, nil
}
