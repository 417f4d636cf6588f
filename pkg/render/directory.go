package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/gobwas/glob"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// manifestFileName matches the files a Directory source reads; everything
// else is ignored, as in Argo CD.
var manifestFileName = regexp.MustCompile(`^.*\.(yaml|yml|json|jsonnet)$`)

// skipFileRenderingMarker anywhere in a file makes Argo CD skip it.
const skipFileRenderingMarker = "+argocd:skip-file-rendering"

// manifestFile is a file of a Directory source selected for reading.
type manifestFile struct {
	path string // io/fs path in the repository
	data []byte
}

// renderDirectory renders a plain directory: YAML and JSON manifests and
// Jsonnet programs, with recurse, include and exclude.
func (r *Renderer) renderDirectory(ctx context.Context, job *renderJob) ([]*unstructured.Unstructured, error) {
	directory := v1alpha1.ApplicationSourceDirectory{}
	if job.source.Directory != nil {
		directory = *job.source.Directory
	}
	files, err := r.directoryFiles(ctx, job.req.Repo, job.appDir, directory)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var fileObjs []*unstructured.Unstructured
		if strings.HasSuffix(file.path, ".jsonnet") {
			fileObjs, err = r.evaluateJsonnetFile(job, directory.Jsonnet, file)
		} else {
			fileObjs, err = readManifestFile(ctx, file)
		}
		if err != nil {
			return nil, err
		}
		objs = append(objs, fileObjs...)
	}
	return objs, nil
}

// directoryFiles walks appDir (recursively when asked) and returns the files
// that may hold manifests, in lexical order, applying the extension filter,
// exclude and include (matched against the path relative to appDir), the
// skip marker and the combined size limit (Jsonnet files do not count).
func (r *Renderer) directoryFiles(ctx context.Context, repo fs.FS, appDir string, directory v1alpha1.ApplicationSourceDirectory) ([]manifestFile, error) {
	include := compileGlob(ctx, directory.Include)
	exclude := compileGlob(ctx, directory.Exclude)
	var files []manifestFile
	var total int64
	err := fs.WalkDir(repo, appDir, func(name string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() {
			if name != appDir && !directory.Recurse {
				return fs.SkipDir
			}
			return nil
		}
		if !manifestFileName.MatchString(entry.Name()) || !entry.Type().IsRegular() {
			return nil
		}
		rel := relativeTo(appDir, name)
		if exclude != nil && exclude.Match(rel) {
			return nil
		}
		if directory.Include != "" && (include == nil || !include.Match(rel)) {
			return nil
		}
		data, err := fs.ReadFile(repo, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if bytes.Contains(data, []byte(skipFileRenderingMarker)) {
			return nil
		}
		if !strings.HasSuffix(name, ".jsonnet") {
			total += int64(len(data))
			if err := r.checkOutputSize(total, "the combined size of the manifest files in "+displayPath(appDir)); err != nil {
				return err
			}
		}
		files = append(files, manifestFile{path: name, data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// compileGlob compiles an include or exclude pattern with Argo CD's glob
// library and settings: github.com/gobwas/glob with no separators, so "*"
// also matches "/" and {a,b} alternation works. A pattern that does not
// compile matches nothing (Argo CD logs it and moves on).
func compileGlob(ctx context.Context, pattern string) glob.Glob {
	if pattern == "" {
		return nil
	}
	compiled, err := glob.Compile(pattern)
	if err != nil {
		klog.FromContext(ctx).Info("Ignoring directory glob that does not compile", "pattern", pattern, "err", err)
		return nil
	}
	return compiled
}

// readManifestFile parses a YAML or JSON file the way Argo CD does: a JSON file
// holds exactly one object; a YAML file holds any number of documents; a YAML
// file that fails to parse is an error only if it looks like a Kubernetes
// manifest (or some of its documents parsed), otherwise it is ignored.
func readManifestFile(ctx context.Context, file manifestFile) ([]*unstructured.Unstructured, error) {
	if err := checkAliasExpansion(file.data, file.path); err != nil {
		return nil, err
	}
	if strings.HasSuffix(file.path, ".json") {
		return readJSONManifest(ctx, file)
	}
	objs, err := decodeDocuments(file.data)
	if err == nil {
		return objs, nil
	}
	if len(objs) > 0 || looksLikeManifest(file.data) {
		return nil, fmt.Errorf("failed to unmarshal %q: %w", file.path, err)
	}
	klog.FromContext(ctx).V(2).Info("Ignoring YAML file that is not a Kubernetes manifest", "file", file.path, "err", err)
	return nil, nil
}

// readJSONManifest decodes a JSON file holding one object. Valid JSON that is
// not a Kubernetes object but an OCI image manifest is ignored, as Argo CD
// does for OCI sources.
func readJSONManifest(ctx context.Context, file manifestFile) ([]*unstructured.Unstructured, error) {
	decoder := json.NewDecoder(bytes.NewReader(file.data))
	obj := &unstructured.Unstructured{}
	if err := decoder.Decode(obj); err != nil {
		if isOCIManifest(file.data) {
			klog.FromContext(ctx).V(2).Info("Ignoring OCI image manifest", "file", file.path)
			return nil, nil
		}
		return nil, fmt.Errorf("failed to unmarshal %q: %w", file.path, decodeError(err))
	}
	if decoder.More() {
		return nil, fmt.Errorf("found multiple objects in %q: only single objects are allowed in JSON files", file.path)
	}
	return []*unstructured.Unstructured{obj}, nil
}

// isOCIManifest reports JSON shaped like an OCI image manifest.
func isOCIManifest(data []byte) bool {
	var manifest struct {
		SchemaVersion *int            `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Layers        json.RawMessage `json:"layers"`
	}
	return json.Unmarshal(data, &manifest) == nil && manifest.SchemaVersion != nil && (manifest.MediaType != "" || manifest.Layers != nil)
}

// looksLikeManifest is Argo CD's test for whether an unparsable YAML file was
// meant to be a Kubernetes manifest.
func looksLikeManifest(data []byte) bool {
	return bytes.Contains(data, []byte("apiVersion:")) &&
		bytes.Contains(data, []byte("kind:")) &&
		bytes.Contains(data, []byte("metadata:"))
}

// relativeTo returns name relative to dir, both io/fs paths.
func relativeTo(dir, name string) string {
	if dir == "." {
		return name
	}
	return strings.TrimPrefix(name, path.Clean(dir)+"/")
}
