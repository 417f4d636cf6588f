package git

import (
	"bytes"
	"errors"
	"os"
	"strings"

	"github.com/go-git/go-billy/v5"
)

// indexReadingFS is the object store's file system with pack index files
// (objects/pack/*.idx) read whole into memory when opened. go-git decodes an
// index with a read per 4-byte integer, a system call each on an os.File:
// every fetch adds a pack and makes the readers open every index again, so
// a repository that is fetched often (a commit a second) spent most of
// Capstan's CPU in those reads. Everything else is the underlying file
// system's.
//
// It also leaves the packs merged into another (retired) out of the pack
// directory's listing, so that storages opened after a merge never use them.
type indexReadingFS struct {
	billy.Filesystem
	retired *retiredPacks
}

// ReadDir lists a directory; in objects/pack, without retired packs.
func (fs indexReadingFS) ReadDir(path string) ([]os.FileInfo, error) {
	files, err := fs.Filesystem.ReadDir(path)
	if err != nil || fs.retired == nil {
		return files, err
	}
	return fs.retired.hiddenFrom(path, files), nil
}

// Open reads a pack index whole; other files open as usual.
func (fs indexReadingFS) Open(filename string) (billy.File, error) {
	if !strings.HasSuffix(filename, ".idx") {
		return fs.Filesystem.Open(filename)
	}
	f, err := fs.Filesystem.Open(filename)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := fs.Filesystem.Stat(filename)
	if err != nil {
		return nil, err
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil && len(data) > 0 {
		return nil, err
	}
	return &memoryFile{name: f.Name(), Reader: bytes.NewReader(data)}, nil
}

// memoryFile is a read-only billy.File over bytes.
type memoryFile struct {
	name string
	*bytes.Reader
}

var errReadOnly = errors.New("read-only file")

func (f *memoryFile) Name() string { return f.name }
func (f *memoryFile) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: f.name, Err: errReadOnly}
}
func (f *memoryFile) Close() error  { return nil }
func (f *memoryFile) Lock() error   { return nil }
func (f *memoryFile) Unlock() error { return nil }
func (f *memoryFile) Truncate(int64) error {
	return &os.PathError{Op: "truncate", Path: f.name, Err: errReadOnly}
}
