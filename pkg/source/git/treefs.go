package git

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"sync"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Open opens a file or directory, following symlinks.
func (t *Tree) Open(name string) (fs.File, error) {
	found, err := t.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if found.isDir() {
		return &dirFile{tree: t, node: found, path: name}, nil
	}
	data, err := t.readBlob(name, found.entry.Hash)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &blobFile{Reader: bytes.NewReader(data), info: t.info(found, int64(len(data)))}, nil
}

// ReadFile returns the content of a file, following symlinks.
func (t *Tree) ReadFile(name string) ([]byte, error) {
	found, err := t.lookup("read", name, true)
	if err != nil {
		return nil, err
	}
	if found.isDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	data, err := t.readBlob(name, found.entry.Hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir lists a directory sorted by name, following symlinks to reach it;
// entries that are symlinks are reported as such.
func (t *Tree) ReadDir(name string) ([]fs.DirEntry, error) {
	found, err := t.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	return t.readDir(name, found)
}

func (t *Tree) readDir(name string, found node) ([]fs.DirEntry, error) {
	if !found.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	dir, err := t.loadDir(found.entry.Hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	entries := make([]fs.DirEntry, 0, len(dir.entries))
	for _, entry := range dir.entries {
		entries = append(entries, &dirEntry{tree: t, node: node{name: entry.Name, entry: entry}})
	}
	return entries, nil
}

// Stat describes a file or directory, following symlinks.
func (t *Tree) Stat(name string) (fs.FileInfo, error) {
	return t.stat("stat", name, true)
}

// Lstat describes a file, directory or symlink without following a final
// symlink.
func (t *Tree) Lstat(name string) (fs.FileInfo, error) {
	return t.stat("lstat", name, false)
}

// ReadLink returns the target of a symlink as stored in the repository.
func (t *Tree) ReadLink(name string) (string, error) {
	found, err := t.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if found.entry.Mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	target, err := t.readBlob(name, found.entry.Hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(target), nil
}

// CheckSymlinks walks dir and returns the first symlink that leads outside
// the repository (or nowhere), like Argo CD's out-of-bounds symlink check
// before a render.
func (t *Tree) CheckSymlinks(dir string) error {
	return fs.WalkDir(t, dir, func(name string, entry fs.DirEntry, err error) error {
		if err != nil || entry.Type()&fs.ModeSymlink == 0 {
			return err
		}
		if _, err := t.Stat(name); err != nil && errors.Is(err, ErrOutsideRepository) {
			return err
		}
		return nil
	})
}

func (t *Tree) stat(op, name string, follow bool) (fs.FileInfo, error) {
	found, err := t.lookup(op, name, follow)
	if err != nil {
		return nil, err
	}
	return t.lazyInfo(found), nil
}

func (t *Tree) info(found node, size int64) *fileInfo {
	return &fileInfo{name: found.name, entry: found.entry, size: size, modTime: t.modTime}
}

// lazyInfo describes found with a size read only when asked for: most
// callers (a renderer asking whether a file exists or is a directory) never
// do, and reading it looks the blob up in the object store.
func (t *Tree) lazyInfo(found node) *fileInfo {
	info := t.info(found, 0)
	if !found.isDir() {
		info.readSize = sync.OnceValue(func() int64 {
			size, err := t.blobSize(found.entry.Hash)
			if err != nil {
				// Reading the blob fails the same way, with the error.
				return 0
			}
			return size
		})
	}
	return info
}

// fileInfo describes a tree entry; ModTime is the commit time.
type fileInfo struct {
	name    string
	entry   object.TreeEntry
	size    int64
	modTime time.Time
	// readSize, when set, gives the size instead of size.
	readSize func() int64
}

func (i *fileInfo) Name() string { return i.name }
func (i *fileInfo) Size() int64 {
	if i.readSize != nil {
		return i.readSize()
	}
	return i.size
}
func (i *fileInfo) Mode() fs.FileMode  { return modeOf(i.entry.Mode) }
func (i *fileInfo) ModTime() time.Time { return i.modTime }
func (i *fileInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i *fileInfo) Sys() any           { return i.entry }

func modeOf(mode filemode.FileMode) fs.FileMode {
	switch mode {
	case filemode.Dir, filemode.Submodule:
		return fs.ModeDir | 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	case filemode.Executable:
		return 0o755
	}
	return 0o644
}

// dirEntry is a ReadDir entry; its Info is computed on demand.
type dirEntry struct {
	tree *Tree
	node node
}

func (e *dirEntry) Name() string      { return e.node.name }
func (e *dirEntry) IsDir() bool       { return e.node.isDir() }
func (e *dirEntry) Type() fs.FileMode { return modeOf(e.node.entry.Mode).Type() }
func (e *dirEntry) Info() (fs.FileInfo, error) {
	return e.tree.lazyInfo(e.node), nil
}

// blobFile is an open regular file, held in memory.
type blobFile struct {
	*bytes.Reader
	info *fileInfo
}

func (f *blobFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *blobFile) Close() error               { return nil }

// dirFile is an open directory.
type dirFile struct {
	tree    *Tree
	node    node
	path    string
	entries []fs.DirEntry
	offset  int
	loaded  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.tree.info(d.node, 0), nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: syscall.EISDIR}
}

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	if !d.loaded {
		entries, err := d.tree.readDir(d.path, d.node)
		if err != nil {
			return nil, err
		}
		d.entries, d.loaded = entries, true
	}
	rest := d.entries[d.offset:]
	if count <= 0 {
		d.offset = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if count > len(rest) {
		count = len(rest)
	}
	d.offset += count
	return rest[:count], nil
}
