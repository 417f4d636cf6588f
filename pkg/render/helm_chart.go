package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// maxChartDepth bounds nested file:// dependencies, which could otherwise
// refer to each other forever.
const maxChartDepth = 10

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// loadChart reads the chart in dir of repo like helm's loader.LoadDir does
// (honouring .helmignore and its defaults), then supplies every dependency
// declared in Chart.yaml that is not in charts/: file:// charts from the same
// repository, others through the DependencyFetcher. This is what Argo CD gets
// by running `helm dependency build` when `helm template` reports missing
// dependencies.
func (r *Renderer) loadChart(ctx context.Context, repo fs.FS, dir string, depth int) (*chart.Chart, error) {
	if depth > maxChartDepth {
		return nil, fmt.Errorf("chart dependencies nested deeper than %d levels at %s", maxChartDepth, displayPath(dir))
	}
	files, err := chartFiles(repo, dir)
	if err != nil {
		return nil, err
	}
	loaded, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", displayPath(dir), err)
	}
	for _, dep := range missingDependencies(loaded) {
		sub, err := r.fetchDependency(ctx, repo, dir, loaded, dep, depth)
		if err != nil {
			return nil, err
		}
		loaded.AddDependency(sub)
	}
	return loaded, nil
}

// chartFiles returns the files of the chart in dir, relative to it, without
// those .helmignore excludes.
func chartFiles(repo fs.FS, dir string) ([]*loader.BufferedFile, error) {
	if err := statDir(repo, dir); err != nil {
		return nil, err
	}
	rules := ignore.Empty()
	if data, err := fs.ReadFile(repo, path.Join(dir, ignore.HelmIgnore)); err == nil {
		rules, err = ignore.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path.Join(dir, ignore.HelmIgnore), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path.Join(dir, ignore.HelmIgnore), err)
	}
	rules.AddDefaults()

	var files []*loader.BufferedFile
	err := fs.WalkDir(repo, dir, func(name string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := relativeTo(dir, name)
		if name == dir {
			return nil
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		if entry.IsDir() {
			if rules.Ignore(rel, info) {
				return fs.SkipDir
			}
			return nil
		}
		if rules.Ignore(rel, info) {
			return nil
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("cannot load irregular file %s", name)
		}
		if info.Size() > loader.MaxDecompressedFileSize {
			return fmt.Errorf("chart file %q is larger than the maximum file size %d", name, loader.MaxDecompressedFileSize)
		}
		data, err := fs.ReadFile(repo, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: bytes.TrimPrefix(data, utf8BOM)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// missingDependencies returns the dependencies of c with no chart of that
// name loaded from charts/, as helm's CheckDependencies sees them.
func missingDependencies(c *chart.Chart) []*chart.Dependency {
	present := map[string]bool{}
	for _, sub := range c.Dependencies() {
		present[sub.Name()] = true
	}
	var missing []*chart.Dependency
	seen := map[string]bool{}
	for _, dep := range c.Metadata.Dependencies {
		if dep == nil || present[dep.Name] || seen[dep.Name] {
			continue
		}
		seen[dep.Name] = true
		missing = append(missing, dep)
	}
	return missing
}

// fetchDependency obtains one missing dependency of parent (at dir).
func (r *Renderer) fetchDependency(ctx context.Context, repo fs.FS, dir string, parent *chart.Chart, dep *chart.Dependency, depth int) (*chart.Chart, error) {
	version := lockedVersion(parent, dep)
	if local, ok := strings.CutPrefix(dep.Repository, "file://"); ok {
		depDir, err := resolveInRepo(dir, local)
		if err != nil {
			return nil, fmt.Errorf("dependency %q: %w", dep.Name, err)
		}
		sub, err := r.loadChart(ctx, repo, depDir, depth+1)
		if err != nil {
			return nil, fmt.Errorf("dependency %q from %s: %w", dep.Name, dep.Repository, err)
		}
		return sub, nil
	}
	if r.opts.DependencyFetcher == nil || dep.Repository == "" {
		return nil, fmt.Errorf("%w: %s needs %q version %q from %q, which is not in charts/ and no Helm dependency fetcher is configured",
			ErrMissingDependency, parent.Name(), dep.Name, version, dep.Repository)
	}
	fetched, err := r.opts.DependencyFetcher.FetchChart(ctx, dep.Repository, dep.Name, version)
	if err != nil {
		return nil, fmt.Errorf("%w: fetch %q version %q from %q: %w", ErrMissingDependency, dep.Name, version, dep.Repository, err)
	}
	files, err := chartFiles(fetched, ".")
	if err != nil {
		return nil, fmt.Errorf("dependency %q: %w", dep.Name, err)
	}
	sub, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load dependency %q: %w", dep.Name, err)
	}
	return sub, nil
}

// lockedVersion is the version Chart.lock pins dep to, or its constraint from
// Chart.yaml when there is no lock entry.
func lockedVersion(parent *chart.Chart, dep *chart.Dependency) string {
	if parent.Lock != nil {
		for _, locked := range parent.Lock.Dependencies {
			if locked != nil && locked.Name == dep.Name && locked.Repository == dep.Repository {
				return locked.Version
			}
		}
	}
	return dep.Version
}
