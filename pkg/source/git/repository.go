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
	// retired are packs merged into another, hidden and then deleted
	// (consolidate.go).
	retired *retiredPacks
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
	r := &repository{url: url, dir: dir, cache: c, present: lru.New[struct{}](maxPresentObjects), retired: newRetiredPacks()}
	r.readers = readerPool{open: r.newStorage, maxFree: 2 * runtime.GOMAXPROCS(0), released: r.deleteRetiredPacks,
		inUse: map[uint64]int{}}
	r.writer = r.newStorage()
	return r, nil
}

// newStorage opens the bare repository. Each storage has its own pack index
// and file handles and must be used by one goroutine at a time; all share the
// Cache's object cache, which is safe for concurrent use.
func (r *repository) newStorage() *filesystem.Storage {
	return filesystem.NewStorageWithOptions(indexReadingFS{Filesystem: osfs.New(r.dir), retired: r.retired}, r.cache.objects,
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
	// released is called when a storage of a past generation is returned:
	// packs only such storages list may be deleted now.
	released func()

	mu         sync.Mutex
	generation uint64
	free       []pooledStorage
	// inUse counts the storages handed out, by generation.
	inUse map[uint64]int
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
		p.inUse[reader.generation]++
		p.mu.Unlock()
		return reader
	}
	generation := p.generation
	p.inUse[generation]++
	p.mu.Unlock()
	// Opened after the generation was read: it lists no pack retired
	// before that generation began.
	return pooledStorage{storage: p.open(), generation: generation}
}

func (p *readerPool) put(reader pooledStorage) {
	p.mu.Lock()
	if p.inUse[reader.generation]--; p.inUse[reader.generation] <= 0 {
		delete(p.inUse, reader.generation)
	}
	if reader.generation == p.generation && len(p.free) < p.maxFree {
		p.free = append(p.free, reader)
		p.mu.Unlock()
		return
	}
	past := reader.generation != p.generation
	p.mu.Unlock()
	_ = reader.storage.Close()
	if past && p.released != nil {
		p.released()
	}
}

// invalidate makes every storage opened so far retire, and returns the new
// generation.
func (p *readerPool) invalidate() uint64 {
	p.mu.Lock()
	p.generation++
	generation := p.generation
	free := p.free
	p.free = nil
	p.mu.Unlock()
	for _, reader := range free {
		_ = reader.storage.Close()
	}
	return generation
}

// oldestInUse is the oldest generation of the storages handed out, and
// whether any is.
func (p *readerPool) oldestInUse() (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var oldest uint64
	found := false
	for generation := range p.inUse {
		if !found || generation < oldest {
			oldest, found = generation, true
		}
	}
	return oldest, found
}

// displayURL is the repository URL fit for logs and messages.
func (r *repository) displayURL() string { return repourl.Redact(r.url) }
