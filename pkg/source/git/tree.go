package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
)

// maxSymlinkHops bounds symlink chains (and loops), as the kernel does.
const maxSymlinkHops = 40

// Tree is a read-only filesystem over the files of one commit, read straight
// from the bare repository's objects. It implements fs.FS, fs.ReadFileFS,
// fs.ReadDirFS, fs.StatFS and fs.ReadLinkFS with os.DirFS conventions:
// Open, ReadFile, Stat and ReadDir follow symlinks, ReadDir entries and Lstat
// describe the links themselves. A symlink that leads outside the repository
// is an error (ErrOutsideRepository) naming the link. Submodules appear as
// empty directories. A Tree is safe for concurrent use, and any number of
// Trees of one repository can be read concurrently.
type Tree struct {
	repo    *repository
	commit  plumbing.Hash
	root    plumbing.Hash
	modTime time.Time
}

var (
	_ fs.ReadFileFS = (*Tree)(nil)
	_ fs.ReadDirFS  = (*Tree)(nil)
	_ fs.StatFS     = (*Tree)(nil)
	_ fs.ReadLinkFS = (*Tree)(nil)
)

// Tree returns the filesystem of commit, which must be in the bare
// repository of these credentials (see Fetch). It does no network work.
func (c *Cache) Tree(ctx context.Context, repoURL, commit string, creds credentials.Credentials) (*Tree, error) {
	repo, _, err := c.repository(ctx, repoURL, creds)
	if err != nil {
		return nil, err
	}
	if !isFullSHA(commit) {
		return nil, newError("read", repoURL, commit, ErrRevisionNotFound, fmt.Errorf("not a full commit SHA"), noCreds)
	}
	hash := plumbing.NewHash(strings.ToLower(commit))
	var tree *Tree
	repo.readers.with(func(s *filesystem.Storage) {
		var decoded *object.Commit
		if decoded, err = peelToCommit(s, hash); err == nil {
			tree = &Tree{repo: repo, commit: decoded.Hash, root: decoded.TreeHash, modTime: decoded.Committer.When}
		}
	})
	if err != nil {
		return nil, newError("read", repoURL, commit, ErrRevisionNotFound,
			fmt.Errorf("commit is not in the cache (fetch it first): %w", err), noCreds)
	}
	return tree, nil
}

// Open resolves revision, fetches its commit if needed and returns its tree:
// Resolve, Fetch and Tree in one call.
func (c *Cache) Open(ctx context.Context, repoURL, revision string, creds credentials.Credentials) (Revision, *Tree, error) {
	resolved, err := c.Resolve(ctx, repoURL, revision, creds)
	if err != nil {
		return Revision{}, nil, err
	}
	if err := c.Fetch(ctx, repoURL, resolved.Commit, creds); err != nil {
		return Revision{}, nil, err
	}
	tree, err := c.Tree(ctx, repoURL, resolved.Commit, creds)
	return resolved, tree, err
}

// peelToCommit follows annotated tags to the commit.
func peelToCommit(s *filesystem.Storage, hash plumbing.Hash) (*object.Commit, error) {
	for range maxSymlinkHops {
		encoded, err := s.EncodedObject(plumbing.AnyObject, hash)
		if err != nil {
			return nil, err
		}
		switch encoded.Type() {
		case plumbing.CommitObject:
			commit := &object.Commit{}
			return commit, commit.Decode(encoded)
		case plumbing.TagObject:
			tag := &object.Tag{}
			if err := tag.Decode(encoded); err != nil {
				return nil, err
			}
			hash = tag.Target
		default:
			return nil, fmt.Errorf("object %s is a %s, not a commit", hash, encoded.Type())
		}
	}
	return nil, fmt.Errorf("tag chain of %s is too long", hash)
}

// Commit returns the full SHA of the commit the tree belongs to.
func (t *Tree) Commit() string { return t.commit.String() }

// dirNode is a decoded tree object, sorted by name.
type dirNode struct {
	entries []object.TreeEntry
}

// dirCacheBytes bounds the decoded tree objects kept for all repositories.
const dirCacheBytes = 16 << 20

// dirNodeCost estimates the memory of a decoded tree: an entry holds a name,
// a mode and a hash.
func dirNodeCost(key string, node *dirNode) int64 {
	cost := int64(len(key)) + 64
	for _, entry := range node.entries {
		cost += int64(len(entry.Name)) + 48
	}
	return cost
}

func (d *dirNode) find(name string) (object.TreeEntry, bool) {
	i := sort.Search(len(d.entries), func(i int) bool { return d.entries[i].Name >= name })
	if i < len(d.entries) && d.entries[i].Name == name {
		return d.entries[i], true
	}
	return object.TreeEntry{}, false
}

func (t *Tree) loadDir(hash plumbing.Hash) (*dirNode, error) {
	if hash.IsZero() { // a submodule
		return &dirNode{}, nil
	}
	// Tree objects are immutable: every Tree of the repository, of any
	// commit, shares the decoded ones (a monorepo's directory of a thousand
	// applications is decoded once, not once per render).
	key := t.repo.dir + "\x00" + hash.String()
	if cached, ok := t.repo.cache.dirs.Get(key); ok {
		return cached, nil
	}
	var decoded object.Tree
	var err error
	t.repo.readers.with(func(s *filesystem.Storage) {
		var encoded plumbing.EncodedObject
		if encoded, err = s.EncodedObject(plumbing.TreeObject, hash); err == nil {
			err = decoded.Decode(encoded)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", hash, err)
	}
	node := &dirNode{entries: decoded.Entries}
	sort.Slice(node.entries, func(i, j int) bool { return node.entries[i].Name < node.entries[j].Name })
	t.repo.cache.dirs.Add(key, node)
	return node, nil
}

// readBlob reads the blob of the file name, refusing one larger than
// Options.MaxBlobBytes: a repository's content is its author's to choose,
// and one file must not exhaust the memory of every render.
func (t *Tree) readBlob(name string, hash plumbing.Hash) ([]byte, error) {
	limit := t.repo.cache.opts.MaxBlobBytes
	tooLarge := &source.TooLargeError{What: "file " + name, Limit: limit}
	var data []byte
	var err error
	t.repo.readers.with(func(s *filesystem.Storage) {
		var encoded plumbing.EncodedObject
		if encoded, err = s.EncodedObject(plumbing.BlobObject, hash); err != nil {
			return
		}
		if encoded.Size() > limit {
			err = tooLarge
			return
		}
		var reader io.ReadCloser
		if reader, err = encoded.Reader(); err != nil {
			return
		}
		defer func() { _ = reader.Close() }()
		data, err = io.ReadAll(io.LimitReader(reader, limit+1))
		if err == nil && int64(len(data)) > limit {
			err = tooLarge
		}
	})
	if errors.Is(err, ErrTooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash, err)
	}
	return data, nil
}

func (t *Tree) blobSize(hash plumbing.Hash) (int64, error) {
	var size int64
	var err error
	t.repo.readers.with(func(s *filesystem.Storage) {
		size, err = s.EncodedObjectSize(hash)
	})
	return size, err
}

// node is a looked-up entry: its name as asked for and what it is.
type node struct {
	name  string
	entry object.TreeEntry
}

func (n node) isDir() bool {
	return n.entry.Mode == filemode.Dir || n.entry.Mode == filemode.Submodule
}

// component is one pending path element; origin names the symlink whose
// target it came from, for error messages.
type component struct {
	name   string
	origin string
	target string
}

// lookup walks the path from the root, following symlinks in the middle of
// the path and, when followLast, at its end.
func (t *Tree) lookup(op, name string, followLast bool) (node, error) {
	fail := func(err error) (node, error) { return node{}, &fs.PathError{Op: op, Path: name, Err: err} }
	if !fs.ValidPath(name) {
		return fail(fs.ErrInvalid)
	}
	root := object.TreeEntry{Name: ".", Mode: filemode.Dir, Hash: t.root}
	var chain []object.TreeEntry // directories entered below the root
	pending := splitComponents(name, "")
	current := root
	for hops := 0; len(pending) > 0; {
		part := pending[0]
		pending = pending[1:]
		switch part.name {
		case "", ".":
			continue
		case "..":
			if len(chain) == 0 {
				return fail(&SymlinkError{Path: part.origin, Target: part.target})
			}
			chain = chain[:len(chain)-1]
			current = root
			if len(chain) > 0 {
				current = chain[len(chain)-1]
			}
			continue
		}
		if !(node{entry: current}).isDir() {
			return fail(syscall.ENOTDIR)
		}
		dir, err := t.loadDir(current.Hash)
		if err != nil {
			return fail(err)
		}
		entry, ok := dir.find(part.name)
		if !ok {
			return fail(fs.ErrNotExist)
		}
		entryPath := joinChain(chain, part.name)
		if entry.Mode == filemode.Symlink && (len(pending) > 0 || followLast) {
			if hops++; hops > maxSymlinkHops {
				return fail(fmt.Errorf("too many levels of symbolic links at %s", entryPath))
			}
			target, err := t.readBlob(entryPath, entry.Hash)
			if err != nil {
				return fail(err)
			}
			if path.IsAbs(string(target)) {
				return fail(&SymlinkError{Path: entryPath, Target: string(target)})
			}
			pending = append(splitComponents(string(target), entryPath), pending...)
			continue
		}
		if entry.Mode == filemode.Submodule {
			entry.Hash = plumbing.ZeroHash
		}
		current = entry
		chain = append(chain, entry)
	}
	return node{name: path.Base(name), entry: current}, nil
}

func splitComponents(p, origin string) []component {
	var parts []component
	for _, name := range strings.Split(p, "/") {
		parts = append(parts, component{name: name, origin: origin, target: p})
	}
	return parts
}

func joinChain(chain []object.TreeEntry, name string) string {
	parts := make([]string, 0, len(chain)+1)
	for _, entry := range chain {
		parts = append(parts, entry.Name)
	}
	return path.Join(append(parts, name)...)
}

// SymlinkError reports a symlink whose target leaves the repository.
type SymlinkError struct {
	// Path is the symlink's path in the repository.
	Path string
	// Target is what it points to.
	Target string
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("symlink %s points outside the repository (target %q)", e.Path, e.Target)
}

// Is makes errors.Is(err, ErrOutsideRepository) true.
func (e *SymlinkError) Is(target error) bool { return target == ErrOutsideRepository }
