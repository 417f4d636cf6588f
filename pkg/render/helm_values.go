package render

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"helm.sh/helm/v3/pkg/strvals"
	k8sversion "k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// repoFile is a file located in one of the application's sources.
type repoFile struct {
	repo fs.FS
	path string
}

// helmValues merges the user-supplied values with Argo CD's precedence, lowest
// first: value files in order, then values/valuesObject (valuesObject replaces
// values), then parameters (--set), forced-string parameters (--set-string)
// and file parameters (--set-file). The chart's own values.yaml sits below all
// of them and is merged in by Helm.
func (r *Renderer) helmValues(job *renderJob, opts *v1alpha1.ApplicationSourceHelm) (map[string]any, error) {
	base := map[string]any{}
	for _, raw := range opts.ValueFiles {
		files, err := r.resolveValueFiles(job, raw, opts.IgnoreMissingValueFiles)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			values, err := readValuesFile(file)
			if err != nil {
				return nil, err
			}
			base = mergeValues(base, values)
		}
	}
	inline, err := inlineValues(opts)
	if err != nil {
		return nil, err
	}
	if len(inline) > 0 {
		if err := checkAliasExpansion(inline, "values"); err != nil {
			return nil, err
		}
		values := map[string]any{}
		if err := yaml.Unmarshal(inline, &values); err != nil {
			return nil, fmt.Errorf("failed to parse values: %w", err)
		}
		base = mergeValues(base, values)
	}
	if err := r.applyParameters(job, opts, base); err != nil {
		return nil, err
	}
	return base, nil
}

// applyParameters applies parameters and file parameters to base. As in Argo
// CD, the last parameter of a name wins, all --set come before all
// --set-string, and commas are escaped unless the value is a {a,b} list.
func (r *Renderer) applyParameters(job *renderJob, opts *v1alpha1.ApplicationSourceHelm, base map[string]any) error {
	set, setString := newOrderedParams(), newOrderedParams()
	for _, p := range opts.Parameters {
		if p.ForceString {
			setString.put(p.Name, p.Value)
		} else {
			set.put(p.Name, p.Value)
		}
	}
	for _, name := range set.names {
		value := escapeSetValue(job.env.substitute(set.values[name]))
		if err := strvals.ParseInto(name+"="+value, base); err != nil {
			return fmt.Errorf("failed parsing parameter %q: %w", name, err)
		}
	}
	for _, name := range setString.names {
		value := escapeSetValue(job.env.substitute(setString.values[name]))
		if err := strvals.ParseIntoString(name+"="+value, base); err != nil {
			return fmt.Errorf("failed parsing string parameter %q: %w", name, err)
		}
	}
	files := newOrderedParams()
	for _, p := range opts.FileParameters {
		files.put(p.Name, p.Path)
	}
	for _, name := range files.names {
		file, err := r.resolveValueFile(job, files.values[name])
		if err != nil {
			return fmt.Errorf("file parameter %q: %w", name, err)
		}
		data, err := fs.ReadFile(file.repo, file.path)
		if err != nil {
			return fmt.Errorf("file parameter %q: read %s: %w", name, file.path, err)
		}
		reader := func([]rune) (any, error) { return string(data), nil }
		if err := strvals.ParseIntoFile(name+"=file", base, reader); err != nil {
			return fmt.Errorf("failed parsing file parameter %q: %w", name, err)
		}
	}
	return nil
}

// orderedParams keeps the last value per name in first-seen order, standing
// in for Argo CD's map (whose iteration order is random).
type orderedParams struct {
	names  []string
	values map[string]string
}

func newOrderedParams() *orderedParams { return &orderedParams{values: map[string]string{}} }

func (o *orderedParams) put(name, value string) {
	if _, ok := o.values[name]; !ok {
		o.names = append(o.names, name)
	}
	o.values[name] = value
}

// escapeSetValue escapes commas the way Argo CD does before passing a value
// to --set: a value in braces is a list and is left alone, otherwise every
// comma not already escaped is.
func escapeSetValue(value string) string {
	if strings.HasPrefix(value, "{") && strings.HasSuffix(value, "}") {
		return value
	}
	var out strings.Builder
	var previous rune
	for _, c := range value {
		if c == ',' && previous != '\\' {
			out.WriteString(`\,`)
		} else {
			out.WriteRune(c)
		}
		previous = c
	}
	return out.String()
}

// inlineValues returns values or, when set, valuesObject as YAML.
func inlineValues(opts *v1alpha1.ApplicationSourceHelm) ([]byte, error) {
	if opts.ValuesObject == nil || opts.ValuesObject.Raw == nil {
		return []byte(opts.Values), nil
	}
	out, err := yaml.JSONToYAML(opts.ValuesObject.Raw)
	if err != nil {
		return nil, fmt.Errorf("encode valuesObject: %w", err)
	}
	return out, nil
}

// resolveValueFiles resolves one valueFiles entry: a path relative to the
// chart (absolute means relative to the repository root), $ref/path into a
// referenced source, or a glob of either, expanded in lexical order. Missing
// files are skipped when ignoreMissing is set. URLs are refused.
func (r *Renderer) resolveValueFiles(job *renderJob, raw string, ignoreMissing bool) ([]repoFile, error) {
	file, err := r.resolveValueFile(job, raw)
	if err != nil {
		return nil, fmt.Errorf("value file %q: %w", raw, err)
	}
	if strings.ContainsAny(file.path, "*?[{") {
		matches, err := doublestar.Glob(file.repo, file.path, doublestar.WithFilesOnly())
		if err != nil {
			return nil, fmt.Errorf("value file %q: %w", raw, err)
		}
		if len(matches) == 0 && !ignoreMissing {
			return nil, fmt.Errorf("%w: value file glob %q matches no file", ErrNotFound, raw)
		}
		files := make([]repoFile, len(matches))
		for i, match := range matches {
			files[i] = repoFile{repo: file.repo, path: match}
		}
		return files, nil
	}
	if !fileExists(file.repo, file.path) {
		if ignoreMissing {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: value file %q (%s)", ErrNotFound, raw, file.path)
	}
	return []repoFile{file}, nil
}

// resolveValueFile resolves a value file or file parameter path.
func (r *Renderer) resolveValueFile(job *renderJob, raw string) (repoFile, error) {
	if ref, rest, ok := job.referencedSource(raw); ok {
		if ref.Repo == nil {
			return repoFile{}, fmt.Errorf("%w: referenced source %s has no repository tree", ErrNotFound, strings.Split(raw, "/")[0])
		}
		name, err := resolveInRepo(".", "/"+job.env.substitute(rest))
		if err != nil {
			return repoFile{}, err
		}
		return repoFile{repo: ref.Repo, path: name}, nil
	}
	substituted := job.env.substitute(raw)
	if u, err := url.Parse(substituted); err == nil && u.Scheme != "" {
		return repoFile{}, fmt.Errorf("%w: %s", ErrRemoteValueFile, substituted)
	}
	name, err := resolveInRepo(job.appDir, substituted)
	if err != nil {
		return repoFile{}, err
	}
	return repoFile{repo: job.req.Repo, path: name}, nil
}

// referencedSource returns the ref source a "$ref/path" names and the path in
// it. A "$name" that is not a ref source is an ordinary path in which the
// build environment is substituted, as in Argo CD.
func (j *renderJob) referencedSource(raw string) (RefSource, string, bool) {
	if !strings.HasPrefix(raw, "$") || len(j.req.RefSources) == 0 {
		return RefSource{}, "", false
	}
	refVar, rest, _ := strings.Cut(raw, "/")
	if ref, ok := j.req.RefSources[refVar]; ok {
		return ref, rest, true
	}
	if ref, ok := j.req.RefSources[strings.TrimPrefix(refVar, "$")]; ok {
		return ref, rest, true
	}
	return RefSource{}, "", false
}

// readValuesFile parses one values file.
func readValuesFile(file repoFile) (map[string]any, error) {
	data, err := fs.ReadFile(file.repo, file.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: value file %s", ErrNotFound, file.path)
		}
		return nil, fmt.Errorf("read value file %s: %w", file.path, err)
	}
	if err := checkAliasExpansion(data, file.path); err != nil {
		return nil, err
	}
	values := map[string]any{}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", file.path, err)
	}
	return values, nil
}

// mergeValues merges b over a the way helm's --values merge does: maps merge
// recursively, anything else in b replaces what a has.
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bMap, ok := v.(map[string]any); ok {
			if aMap, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(aMap, bMap)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// parseKubeVersion normalises a Kubernetes version like Argo CD does before
// giving it to Helm, keeping only the numeric part ("v1.29.3-eks-1" becomes
// "1.29.3").
func parseKubeVersion(version string) (string, error) {
	if version == "" {
		return "", nil
	}
	parsed, err := k8sversion.ParseGeneric(version)
	if err != nil {
		return "", fmt.Errorf("could not parse kubernetes version %s: %w", version, err)
	}
	return parsed.String(), nil
}
