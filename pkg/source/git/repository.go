package git

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"golang.org/x/sync/singleflight"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/lru"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

// maxPresentObjects bounds the commits a repository remembers being in its
// store.
const maxPresentObjects = 4096

// noCreds is used for errors raised before credentials are known.
var noCreds credentials.Credentials

// repository is the cached state of one repository URL: its bare repository
// on disk, its ref listing and the readers over its object store.
type repository struct {
	url   string // the address contacted, without userinfo
	dir   string
	cache *Cache

	refs       refCache
	listGroup  singleflight.Group
	fetchGroup singleflight.Group
	fetchMu    sync.Mutex          // serializes writes to the object store
	writer     *filesystem.Storage // used only under fetchMu
	readers    readerPool
	// present holds hashes hasObject found: an object stays in the store
	// once there (nothing removes objects), so each is looked up on disk
	// once instead of at every render of every Application.
	present  *lru.Cache[struct{}]
	listings atomic.Int64
	fetches  atomic.Int64
}

func openRepository(ctx context.Context, dir, url string, c *Cache) (*repository, error) {
	if _, err := gogit.PlainInit(dir, true); err != nil && !errors.Is(err, gogit.ErrRepositoryAlreadyExists) {
		return nil, fmt.Errorf("initialize bare repository %s: %w", dir, err)
	}
	klog.FromContext(ctx).V(2).Info("Opened Git cache repository", "dir", dir)
	r := &repository{url: url, dir: dir, cache: c, present: lru.New[struct{}](maxPresentObjects)}
	r.readers = readerPool{open: r.newStorage, maxFree: 2 * runtime.GOMAXPROCS(0)}
	r.writer = r.newStorage()
	return r, nil
}

// newStorage opens the bare repository. Each storage has its own pack index
// and file handles and must be used by one goroutine at a time; all share the
// Cache's object cache, which is safe for concurrent use.
func (r *repository) newStorage() *filesystem.Storage {
	return filesystem.NewStorageWithOptions(indexReadingFS{osfs.New(r.dir)}, r.cache.objects,
		filesystem.Options{KeepDescriptors: true})
}

// hasObject reports whether the object is in the store.
func (r *repository) hasObject(hash plumbing.Hash) bool {
	if _, ok := r.present.Get(string(hash[:])); ok {
		return true
	}
	var found bool
	r.readers.with(func(s *filesystem.Storage) {
		found = s.HasEncodedObject(hash) == nil
	})
	if found {
		r.present.Add(string(hash[:]), struct{}{})
	}
	return found
}

func (r *repository) close() {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	_ = r.writer.Close()
	r.readers.invalidate()
}

// readerPool hands out storages over the bare repository, one per goroutine
// at a time, so that readers never wait for each other. A fetch bumps the
// generation: storages opened before it are closed on return because their
// pack index does not know the new pack.
type readerPool struct {
	open func() *filesystem.Storage
	// maxFree bounds the idle storages (and their open pack files) kept.
	maxFree int

	mu         sync.Mutex
	generation uint64
	free       []pooledStorage
}

type pooledStorage struct {
	storage    *filesystem.Storage
	generation uint64
}

// with runs fn with a storage that no other goroutine uses meanwhile.
func (p *readerPool) with(fn func(*filesystem.Storage)) {
	reader := p.get()
	defer p.put(reader)
	fn(reader.storage)
}

func (p *readerPool) get() pooledStorage {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		reader := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return reader
	}
	generation := p.generation
	p.mu.Unlock()
	return pooledStorage{storage: p.open(), generation: generation}
}

func (p *readerPool) put(reader pooledStorage) {
	p.mu.Lock()
	if reader.generation == p.generation && len(p.free) < p.maxFree {
		p.free = append(p.free, reader)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = reader.storage.Close()
}

// invalidate makes every storage opened so far retire.
func (p *readerPool) invalidate() {
	p.mu.Lock()
	p.generation++
	free := p.free
	p.free = nil
	p.mu.Unlock()
	for _, reader := range free {
		_ = reader.storage.Close()
	}
}

// displayURL is the repository URL fit for logs and messages.
func (r *repository) displayURL() string { return repourl.Redact(r.url) }
