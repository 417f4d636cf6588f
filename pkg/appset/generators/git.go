package generators

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/template"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/source/repourl"
)

// MaxGitParameterSets bounds the parameter sets one Git generator yields.
const MaxGitParameterSets = 10_000

// git yields the parameter sets of a Git generator, from the repository at
// the revision read with the credentials of the template's project (only
// unscoped credentials when the project is templated).
func (r *run) git(ctx context.Context, generator *v1alpha1.GitGenerator) ([]map[string]any, error) {
	source := r.generators.sources.Git
	if source == nil {
		return nil, fmt.Errorf("no Git source is configured")
	}
	projectName := r.appSet.Spec.Template.Spec.Project
	if project.Templated(projectName) {
		projectName = ""
	}
	_, files, err := source.GitFiles(ctx, generator.RepoURL, generator.Revision, projectName, r.hard)
	if err != nil {
		return nil, fmt.Errorf("read %s at %q: %w", repourl.Redact(generator.RepoURL), generator.Revision, err)
	}
	if len(generator.Directories) > 0 {
		return r.gitDirectories(files, generator)
	}
	if len(generator.Files) > 0 {
		return r.gitFiles(files, generator)
	}
	return nil, fmt.Errorf("directories or files must be set")
}

// gitDirectories yields one parameter set per directory matching an include
// glob and no exclude glob (path.Match: "*" stays within one directory).
func (r *run) gitDirectories(files fs.FS, generator *v1alpha1.GitGenerator) ([]map[string]any, error) {
	directories, err := listDirectories(files)
	if err != nil {
		return nil, err
	}
	params := []map[string]any{}
	for _, directory := range directories {
		include, exclude := false, false
		for _, item := range generator.Directories {
			if matched, err := path.Match(item.Path, directory); err != nil || !matched {
				continue
			}
			if item.Exclude {
				exclude = true
			} else {
				include = true
			}
		}
		if !include || exclude {
			continue
		}
		if len(params) == MaxGitParameterSets {
			return nil, fmt.Errorf("more than %d directories match", MaxGitParameterSets)
		}
		set := r.pathParams(directory, "", generator.PathParamPrefix)
		if err := appendValues(generator.Values, set, r.renderer); err != nil {
			return nil, fmt.Errorf("directory %s: %w", directory, err)
		}
		params = append(params, set)
	}
	return params, nil
}

// listDirectories lists every directory of the tree except the root and
// those whose name starts with a dot (and what is below them), as Argo CD's
// repository server does.
func listDirectories(files fs.FS) ([]string, error) {
	var directories []string
	err := fs.WalkDir(files, ".", func(name string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !entry.IsDir() || name == "." {
			return nil
		}
		if strings.HasPrefix(entry.Name(), ".") {
			return fs.SkipDir
		}
		directories = append(directories, name)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list directories: %w", err)
	}
	return directories, nil
}

// gitFiles yields the parameter sets of the JSON or YAML files matching an
// include glob and no exclude glob ("**" crosses directories, "*" does not),
// in path order: one per object of a file holding a list, one for a file
// holding an object.
func (r *run) gitFiles(files fs.FS, generator *v1alpha1.GitGenerator) ([]map[string]any, error) {
	matched := map[string]bool{}
	err := fs.WalkDir(files, ".", func(name string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() {
			return nil
		}
		for _, item := range generator.Files {
			if ok, _ := doublestar.Match(item.Path, name); ok {
				if item.Exclude {
					delete(matched, name)
					return nil
				}
				matched[name] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	names := make([]string, 0, len(matched))
	for name := range matched {
		names = append(names, name)
	}
	sort.Strings(names)
	params := []map[string]any{}
	for _, name := range names {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		objects, err := parseParameterFile(data)
		if err != nil {
			return nil, fmt.Errorf("unable to process file '%s': %w", name, err)
		}
		for _, object := range objects {
			if len(params) == MaxGitParameterSets {
				return nil, fmt.Errorf("the files yield more than %d parameter sets", MaxGitParameterSets)
			}
			set := r.fileParams(object, name, generator.PathParamPrefix)
			if err := appendValues(generator.Values, set, r.renderer); err != nil {
				return nil, fmt.Errorf("file %s: %w", name, err)
			}
			params = append(params, set)
		}
	}
	return params, nil
}

// parseParameterFile reads a JSON or YAML file holding a list of objects or
// one object; an empty list yields one empty object, as in Argo CD.
func parseParameterFile(data []byte) ([]map[string]any, error) {
	var objects []map[string]any
	if err := yaml.Unmarshal(data, &objects); err == nil {
		if len(objects) == 0 {
			objects = []map[string]any{{}}
		}
		return objects, nil
	}
	object := map[string]any{}
	if err := yaml.Unmarshal(data, &object); err != nil {
		return nil, fmt.Errorf("unable to parse file: %w", err)
	}
	return []map[string]any{object}, nil
}

// fileParams are the parameters of one object of a file: its fields (flat
// or nested) and the path parameters of the file's directory.
func (r *run) fileParams(object map[string]any, file, prefix string) map[string]any {
	var params map[string]any
	if r.goTemplate() {
		params = copyParams(object)
	} else {
		params = flatParams(object)
	}
	pathParams := r.pathParams(path.Dir(file), file, prefix)
	for key, value := range pathParams {
		params[key] = value
	}
	return params
}

// pathParams are Argo CD's path parameters of a directory (and of a file in
// it, when file is set): path.path, path.basename, path.basenameNormalized,
// path.filename, path.filenameNormalized and path.segments, or in the flat
// form path, path.basename, ..., path[N]; all under prefix when set.
func (r *run) pathParams(directory, file, prefix string) map[string]any {
	name := "path"
	if prefix != "" {
		name = prefix + ".path"
	}
	base := path.Base(directory)
	if r.goTemplate() {
		segments := []any{}
		for _, segment := range strings.Split(directory, "/") {
			segments = append(segments, segment)
		}
		values := map[string]any{
			"path": directory, "basename": base, "basenameNormalized": template.Normalize(base), "segments": segments,
		}
		if file != "" {
			values["filename"] = path.Base(file)
			values["filenameNormalized"] = template.Normalize(path.Base(file))
		}
		if prefix != "" {
			return map[string]any{prefix: map[string]any{"path": values}}
		}
		return map[string]any{"path": values}
	}
	params := map[string]any{
		name: directory, name + ".basename": base, name + ".basenameNormalized": template.Normalize(base),
	}
	if file != "" {
		params[name+".filename"] = path.Base(file)
		params[name+".filenameNormalized"] = template.Normalize(path.Base(file))
	}
	for i, segment := range strings.Split(directory, "/") {
		if segment != "" {
			params[name+"["+strconv.Itoa(i)+"]"] = segment
		}
	}
	return params
}
