package gittest

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Entry is one file of a commit snapshot.
type Entry struct {
	Content string
	Mode    filemode.FileMode
}

// File is a regular file.
func File(content string) Entry { return Entry{Content: content, Mode: filemode.Regular} }

// Executable is an executable file.
func Executable(content string) Entry { return Entry{Content: content, Mode: filemode.Executable} }

// Symlink is a symbolic link to target.
func Symlink(target string) Entry { return Entry{Content: target, Mode: filemode.Symlink} }

// Files is a commit snapshot: every file of the tree by slash-separated path.
type Files map[string]Entry

// Repo is a bare repository that tests write commits, branches and tags to
// directly as objects (no working tree).
type Repo struct {
	// Dir is the repository directory.
	Dir string

	t    testing.TB
	repo *gogit.Repository
	mu   sync.Mutex
	tick int
}

// NewRepo creates a bare repository in dir whose HEAD points at main.
func NewRepo(t testing.TB, dir string) *Repo {
	t.Helper()
	repo, err := gogit.PlainInit(dir, true)
	if err != nil {
		t.Fatalf("init repository %s: %v", dir, err)
	}
	r := &Repo{Dir: dir, t: t, repo: repo}
	r.setRef(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main"))
	return r
}

// FileURL is the file:// URL of the repository.
func (r *Repo) FileURL() string { return "file://" + r.Dir }

// Commit writes a commit whose tree is exactly files, with the given parents.
func (r *Repo) Commit(files Files, parents ...plumbing.Hash) plumbing.Hash {
	r.t.Helper()
	tree := r.writeTree(files)
	r.mu.Lock()
	r.tick++
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.tick) * time.Minute)
	r.mu.Unlock()
	signature := object.Signature{Name: "Capstan Test", Email: "test@capstan.dev", When: when}
	commit := &object.Commit{
		Author: signature, Committer: signature, TreeHash: tree, ParentHashes: parents,
		Message: fmt.Sprintf("commit %d\n", r.tick),
	}
	return r.store(commit)
}

// CommitOn commits files on top of branch (creating it if needed) and moves
// the branch to the new commit.
func (r *Repo) CommitOn(branch string, files Files) plumbing.Hash {
	r.t.Helper()
	var parents []plumbing.Hash
	if ref, err := r.repo.Storer.Reference(plumbing.NewBranchReferenceName(branch)); err == nil {
		parents = append(parents, ref.Hash())
	}
	hash := r.Commit(files, parents...)
	r.SetBranch(branch, hash)
	return hash
}

// SetBranch points branch at commit.
func (r *Repo) SetBranch(branch string, commit plumbing.Hash) {
	r.t.Helper()
	r.setRef(plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), commit))
}

// Tag creates the lightweight tag name pointing at commit.
func (r *Repo) Tag(name string, commit plumbing.Hash) {
	r.t.Helper()
	r.setRef(plumbing.NewHashReference(plumbing.NewTagReferenceName(name), commit))
}

// AnnotatedTag creates the annotated tag name for commit and returns the tag
// object's hash.
func (r *Repo) AnnotatedTag(name string, commit plumbing.Hash) plumbing.Hash {
	r.t.Helper()
	tag := &object.Tag{
		Name:       name,
		Tagger:     object.Signature{Name: "Capstan Test", Email: "test@capstan.dev", When: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		Message:    "release " + name + "\n",
		TargetType: plumbing.CommitObject,
		Target:     commit,
	}
	hash := r.store(tag)
	r.setRef(plumbing.NewHashReference(plumbing.NewTagReferenceName(name), hash))
	return hash
}

func (r *Repo) setRef(ref *plumbing.Reference) {
	r.t.Helper()
	if err := r.repo.Storer.SetReference(ref); err != nil {
		r.t.Fatalf("set ref %s: %v", ref.Name(), err)
	}
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (r *Repo) store(value encoder) plumbing.Hash {
	r.t.Helper()
	encoded := r.repo.Storer.NewEncodedObject()
	if err := value.Encode(encoded); err != nil {
		r.t.Fatalf("encode object: %v", err)
	}
	hash, err := r.repo.Storer.SetEncodedObject(encoded)
	if err != nil {
		r.t.Fatalf("store object: %v", err)
	}
	return hash
}

func (r *Repo) writeBlob(content string) plumbing.Hash {
	r.t.Helper()
	encoded := r.repo.Storer.NewEncodedObject()
	encoded.SetType(plumbing.BlobObject)
	writer, err := encoded.Writer()
	if err == nil {
		_, err = writer.Write([]byte(content))
	}
	if err == nil {
		err = writer.Close()
	}
	if err != nil {
		r.t.Fatalf("write blob: %v", err)
	}
	hash, err := r.repo.Storer.SetEncodedObject(encoded)
	if err != nil {
		r.t.Fatalf("store blob: %v", err)
	}
	return hash
}

// writeTree stores the tree objects for a snapshot and returns the root.
func (r *Repo) writeTree(files Files) plumbing.Hash {
	r.t.Helper()
	direct := map[string]Entry{}
	subdirs := map[string]Files{}
	for name, entry := range files {
		name = strings.Trim(path.Clean(name), "/")
		if dir, rest, nested := strings.Cut(name, "/"); nested {
			if subdirs[dir] == nil {
				subdirs[dir] = Files{}
			}
			subdirs[dir][rest] = entry
			continue
		}
		direct[name] = entry
	}
	var entries []object.TreeEntry
	for name, entry := range direct {
		entries = append(entries, object.TreeEntry{Name: name, Mode: entry.Mode, Hash: r.writeBlob(entry.Content)})
	}
	for name, sub := range subdirs {
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: r.writeTree(sub)})
	}
	// Git sorts entries as if directory names ended with "/".
	sortKey := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return sortKey(entries[i]) < sortKey(entries[j]) })
	return r.store(&object.Tree{Entries: entries})
}

// SetRef points any ref (for example refs/pull/1/head) at commit.
func (r *Repo) SetRef(name string, commit plumbing.Hash) {
	r.t.Helper()
	r.setRef(plumbing.NewHashReference(plumbing.ReferenceName(name), commit))
}
