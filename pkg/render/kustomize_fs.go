package render

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// repoFileSystem is the filesystem Kustomize builds from: an in-memory
// filesystem (filesys.MakeFsInMemory) that shows the repository at "/" and is
// filled lazily, one directory at a time, the first time Kustomize looks at a
// path in it. Writes (our kustomization edits) stay in memory; the repository
// is never changed and nothing is written to disk.
//
// When remote bases are allowed, Kustomize clones them with git into a
// temporary directory on disk; paths there are served from disk.
type repoFileSystem struct {
	mem    filesys.FileSystem
	src    fs.FS
	loaded map[string]bool // io/fs paths of directories already copied

	disk       filesys.FileSystem
	diskPrefix string
}

var _ filesys.FileSystem = &repoFileSystem{}

// newRepoFileSystem returns a filesystem over src; allowDisk lets Kustomize's
// git clones (in the temporary directory) be read from disk.
func newRepoFileSystem(src fs.FS, allowDisk bool) *repoFileSystem {
	r := &repoFileSystem{mem: filesys.MakeFsInMemory(), src: src, loaded: map[string]bool{}}
	if allowDisk {
		r.disk = filesys.MakeFsOnDisk()
		r.diskPrefix = filepath.Join(os.TempDir(), "kustomize-")
	}
	return r
}

// repoPath maps a filesystem path to its io/fs path in the repository, or
// reports that it is a clone on disk.
func (r *repoFileSystem) repoPath(p string) (rel string, onDisk bool) {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = path.Clean(p)
	if r.disk != nil && strings.HasPrefix(p, filepath.ToSlash(r.diskPrefix)) {
		return "", true
	}
	rel = strings.TrimPrefix(p, "/")
	if rel == "" {
		rel = "."
	}
	return rel, false
}

// pick loads what p needs from the repository and returns the filesystem
// that serves it.
func (r *repoFileSystem) pick(p string) filesys.FileSystem {
	rel, onDisk := r.repoPath(p)
	if onDisk {
		return r.disk
	}
	r.ensure(rel)
	return r.mem
}

// ensure copies into memory the directory rel, or the one holding rel when
// rel is not a directory: its files and (empty) subdirectories. The
// directories above it are created empty and filled only when looked at
// themselves: a monorepo's directory of a thousand applications is not
// copied for every application that Kustomize builds from it.
func (r *repoFileSystem) ensure(rel string) {
	if !fs.ValidPath(rel) {
		return
	}
	r.loadDir(r.closestDir(rel))
}

// closestDir is rel when it is a directory of the repository, otherwise the
// deepest directory on the way to it.
func (r *repoFileSystem) closestDir(rel string) string {
	if rel == "." || r.loaded[rel] {
		return rel
	}
	dir := "."
	for i := 0; i <= len(rel); i++ {
		if i < len(rel) && rel[i] != '/' {
			continue
		}
		next := rel[:i]
		if !r.loaded[next] {
			info, err := fs.Stat(r.src, next)
			if err != nil || !info.IsDir() {
				return dir
			}
		}
		dir = next
	}
	return dir
}

// ensureTree copies the whole subtree at rel into memory, for walks and globs.
func (r *repoFileSystem) ensureTree(rel string) {
	r.ensure(rel)
	if !fs.ValidPath(rel) {
		return
	}
	_ = fs.WalkDir(r.src, rel, func(name string, entry fs.DirEntry, err error) error {
		if err == nil && entry.IsDir() {
			r.loadDir(name)
		}
		return nil
	})
}

// loadDir copies one repository directory into memory (with the directories
// above it) and its entries: files with their contents, subdirectories empty
// until they are looked at. Files already written in memory (edits) are kept.
func (r *repoFileSystem) loadDir(dir string) {
	if r.loaded[dir] {
		return
	}
	r.loaded[dir] = true
	entries, err := fs.ReadDir(r.src, dir)
	if err != nil {
		return
	}
	if dir != "." {
		_ = r.mem.MkdirAll("/" + dir)
	}
	for _, entry := range entries {
		name := path.Join(dir, entry.Name())
		memPath := "/" + name
		switch {
		case entry.IsDir():
			_ = r.mem.MkdirAll(memPath)
		case entry.Type().IsRegular() && !r.mem.Exists(memPath):
			if data, err := fs.ReadFile(r.src, name); err == nil {
				_ = r.mem.WriteFile(memPath, data)
			}
		}
	}
}

// staticPrefix is the directory part of a glob pattern before any pattern
// character.
func staticPrefix(pattern string) string {
	i := strings.IndexAny(pattern, "*?[\\")
	if i < 0 {
		return path.Dir(pattern)
	}
	return path.Dir(pattern[:i+1])
}

// Create implements filesys.FileSystem.
func (r *repoFileSystem) Create(p string) (filesys.File, error) { return r.pick(p).Create(p) }

// Mkdir implements filesys.FileSystem.
func (r *repoFileSystem) Mkdir(p string) error { return r.pick(p).Mkdir(p) }

// MkdirAll implements filesys.FileSystem.
func (r *repoFileSystem) MkdirAll(p string) error { return r.pick(p).MkdirAll(p) }

// RemoveAll implements filesys.FileSystem.
func (r *repoFileSystem) RemoveAll(p string) error { return r.pick(p).RemoveAll(p) }

// Open implements filesys.FileSystem.
func (r *repoFileSystem) Open(p string) (filesys.File, error) { return r.pick(p).Open(p) }

// IsDir implements filesys.FileSystem.
func (r *repoFileSystem) IsDir(p string) bool { return r.pick(p).IsDir(p) }

// ReadDir implements filesys.FileSystem.
func (r *repoFileSystem) ReadDir(p string) ([]string, error) { return r.pick(p).ReadDir(p) }

// CleanedAbs implements filesys.FileSystem.
func (r *repoFileSystem) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	return r.pick(p).CleanedAbs(p)
}

// Exists implements filesys.FileSystem.
func (r *repoFileSystem) Exists(p string) bool { return r.pick(p).Exists(p) }

// Glob implements filesys.FileSystem with filepath.Glob's semantics (which
// the on-disk filesystem of `kustomize edit` has, and which, unlike the
// in-memory one, also matches directories), over the repository.
func (r *repoFileSystem) Glob(pattern string) ([]string, error) {
	if _, onDisk := r.repoPath(staticPrefix(pattern)); onDisk {
		return r.disk.Glob(pattern)
	}
	rel, _ := r.repoPath(pattern)
	matches, err := fs.Glob(r.src, rel)
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		matches[i] = "/" + m
	}
	return matches, nil
}

// ReadFile implements filesys.FileSystem.
func (r *repoFileSystem) ReadFile(p string) ([]byte, error) { return r.pick(p).ReadFile(p) }

// WriteFile implements filesys.FileSystem.
func (r *repoFileSystem) WriteFile(p string, data []byte) error {
	return r.pick(p).WriteFile(p, data)
}

// Walk implements filesys.FileSystem.
func (r *repoFileSystem) Walk(p string, walkFn filepath.WalkFunc) error {
	rel, onDisk := r.repoPath(p)
	if onDisk {
		return r.disk.Walk(p, walkFn)
	}
	r.ensureTree(rel)
	return r.mem.Walk(p, walkFn)
}
