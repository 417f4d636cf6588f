package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/google/go-jsonnet"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// evaluateJsonnetFile evaluates one .jsonnet file of a Directory source with
// Argo CD's VM settings and decodes its output: an array of objects or one
// object (a List is expanded later like any other).
func (r *Renderer) evaluateJsonnetFile(job *renderJob, opts v1alpha1.ApplicationSourceJsonnet, file manifestFile) ([]*unstructured.Unstructured, error) {
	vm, importer, err := makeJsonnetVM(job, opts)
	if err != nil {
		return nil, err
	}
	out, err := vm.EvaluateFile(file.path)
	if err != nil {
		// go-jsonnet flattens errors into text; keep the refusal checkable.
		return nil, &causedError{message: fmt.Sprintf("failed to evaluate jsonnet %q: %v", file.path, err), cause: importer.refusal}
	}
	if err := r.checkOutputSize(int64(len(out)), "the output of "+file.path); err != nil {
		return nil, err
	}
	return decodeJSONOutput([]byte(out), file.path)
}

// decodeJSONOutput decodes the output of a Jsonnet program: an array of
// objects or one object.
func decodeJSONOutput(out []byte, name string) ([]*unstructured.Unstructured, error) {
	if trimmed := bytes.TrimSpace(out); len(trimmed) > 0 && trimmed[0] == '[' {
		var objs []*unstructured.Unstructured
		if err := json.Unmarshal(out, &objs); err != nil {
			return nil, fmt.Errorf("failed to unmarshal generated json %q: %w", name, decodeError(err))
		}
		return objs, nil
	}
	obj := &unstructured.Unstructured{}
	if err := json.Unmarshal(out, obj); err != nil {
		return nil, fmt.Errorf("failed to unmarshal generated json %q: %w", name, decodeError(err))
	}
	return []*unstructured.Unstructured{obj}, nil
}

// makeJsonnetVM returns a VM with the source's external variables and
// top-level arguments (build environment variables substituted into their
// values) and an importer confined to the repository whose library path is
// the application directory, then each lib relative to the repository root.
func makeJsonnetVM(job *renderJob, opts v1alpha1.ApplicationSourceJsonnet) (*jsonnet.VM, *repoImporter, error) {
	vm := jsonnet.MakeVM()
	for _, tla := range opts.TLAs {
		value := job.env.substitute(tla.Value)
		if tla.Code {
			vm.TLACode(tla.Name, value)
		} else {
			vm.TLAVar(tla.Name, value)
		}
	}
	for _, ext := range opts.ExtVars {
		value := job.env.substitute(ext.Value)
		if ext.Code {
			vm.ExtCode(ext.Name, value)
		} else {
			vm.ExtVar(ext.Name, value)
		}
	}
	jpaths := []string{job.appDir}
	for _, lib := range opts.Libs {
		dir, err := resolveInRepo(".", lib)
		if err != nil {
			return nil, nil, fmt.Errorf("jsonnet library %q: %w", lib, err)
		}
		jpaths = append(jpaths, dir)
	}
	importer := &repoImporter{repo: job.req.Repo, jpaths: jpaths, cache: map[string]*importedFile{}}
	vm.Importer(importer)
	return vm, importer, nil
}

// repoImporter resolves Jsonnet imports inside the repository tree only.
// Like go-jsonnet's FileImporter it looks next to the importing file first,
// then in the library paths from last to first; unlike it, an absolute path
// or one that climbs out of the repository is refused.
type repoImporter struct {
	repo   fs.FS
	jpaths []string
	cache  map[string]*importedFile
	// refusal is the first import refused for leaving the repository.
	refusal error
}

// importedFile is a cached probe: go-jsonnet requires the same Contents for
// the same path every time.
type importedFile struct {
	exists   bool
	contents jsonnet.Contents
}

var _ jsonnet.Importer = &repoImporter{}

// Import implements jsonnet.Importer. importedFrom is "" for the file being
// evaluated, whose path is already relative to the repository root.
func (i *repoImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	if path.IsAbs(importedPath) || strings.HasPrefix(importedPath, `\`) {
		return jsonnet.Contents{}, "", i.refuse(fmt.Errorf("%w: absolute import %q", ErrOutsideRepository, importedPath))
	}
	dir := "."
	if importedFrom != "" {
		dir = path.Dir(importedFrom)
	}
	found, contents, foundAt, err := i.try(dir, importedPath)
	for j := len(i.jpaths) - 1; err == nil && !found && importedFrom != "" && j >= 0; j-- {
		found, contents, foundAt, err = i.try(i.jpaths[j], importedPath)
	}
	if err != nil {
		return jsonnet.Contents{}, "", err
	}
	if !found {
		return jsonnet.Contents{}, "", fmt.Errorf("couldn't open import %q: no match locally or in the Jsonnet library paths", importedPath)
	}
	return contents, foundAt, nil
}

// try probes dir/importedPath.
func (i *repoImporter) try(dir, importedPath string) (bool, jsonnet.Contents, string, error) {
	name, err := resolveInRepo(dir, importedPath)
	if err != nil {
		return false, jsonnet.Contents{}, "", i.refuse(fmt.Errorf("import %q from %s: %w", importedPath, displayPath(dir), err))
	}
	entry, ok := i.cache[name]
	if !ok {
		entry = &importedFile{}
		data, err := fs.ReadFile(i.repo, name)
		switch {
		case err == nil:
			if err := checkJsonnetNesting(name, data); err != nil {
				return false, jsonnet.Contents{}, "", err
			}
			entry.exists = true
			entry.contents = jsonnet.MakeContentsRaw(data)
		case errors.Is(err, fs.ErrNotExist), fileIsDir(i.repo, name):
		default:
			return false, jsonnet.Contents{}, "", fmt.Errorf("import %q: %w", name, err)
		}
		i.cache[name] = entry
	}
	return entry.exists, entry.contents, name, nil
}

// fileIsDir reports whether name is a directory in fsys.
func fileIsDir(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	return err == nil && info.IsDir()
}

// refuse records err as the refusal of this evaluation and returns it.
func (i *repoImporter) refuse(err error) error {
	if i.refusal == nil {
		i.refusal = err
	}
	return err
}

// causedError is an error whose text comes from a tool and whose cause, when
// known, stays available to errors.Is.
type causedError struct {
	message string
	cause   error
}

func (e *causedError) Error() string { return e.message }
func (e *causedError) Unwrap() error { return e.cause }
