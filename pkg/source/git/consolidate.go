package git

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// maxPacks is how many packs a repository's store holds before its packs,
// all but the largest, are merged into one: every fetch adds a pack, and
// every lookup of an object, and every reader opened after a fetch, goes
// through all pack indexes, so a repository fetched at each push would slow
// down, and hold more index memory, for as long as the server runs.
const maxPacks = 32

// deltaWindow is how many neighbouring objects a merge compares to find
// deltas (git's default); deltas the merged packs already hold are kept
// where their base is merged too.
const deltaWindow = 10

// consolidatePacks merges the packs of the store, but the largest, into one
// new pack when there are more than maxPacks. It runs under fetchMu. The
// merged packs are hidden at once from every storage opened afterwards (the
// writer is reopened) and deleted once no reader opened before is in use.
func (r *repository) consolidatePacks() error {
	r.deleteRetiredPacks()
	packs, err := r.writer.ObjectPacks()
	if err != nil || len(packs) <= maxPacks {
		return err
	}
	merged := r.allButLargest(packs)
	hashes, err := r.packedObjects(merged)
	if err != nil {
		return err
	}
	writer, err := r.writer.PackfileWriter()
	if err != nil {
		return fmt.Errorf("merge packs: %w", err)
	}
	if _, err := packfile.NewEncoder(writer, r.writer, false).Encode(hashes, deltaWindow); err != nil {
		_ = writer.Close()
		return fmt.Errorf("merge packs: encode %d objects: %w", len(hashes), err)
	}
	if err := writer.Close(); err != nil {
		return fmt.Errorf("merge packs: write the pack: %w", err)
	}
	// The new pack holds every object of the merged ones: hide these, then
	// let readers opened before finish with them.
	r.retired.hide(merged)
	generation := r.readers.invalidate()
	_ = r.writer.Close()
	r.writer = r.newStorage()
	r.retired.retireAfter(generation, merged)
	r.deleteRetiredPacks()
	return nil
}

// allButLargest are the packs but the one with the largest file.
func (r *repository) allButLargest(packs []plumbing.Hash) []plumbing.Hash {
	largest, largestSize := -1, int64(-1)
	for i, pack := range packs {
		if info, err := os.Stat(r.packPath(pack, "pack")); err == nil && info.Size() > largestSize {
			largest, largestSize = i, info.Size()
		}
	}
	var out []plumbing.Hash
	for i, pack := range packs {
		if i != largest {
			out = append(out, pack)
		}
	}
	return out
}

// packedObjects lists the objects of packs, from their indexes.
func (r *repository) packedObjects(packs []plumbing.Hash) ([]plumbing.Hash, error) {
	seen := map[plumbing.Hash]bool{}
	var hashes []plumbing.Hash
	for _, pack := range packs {
		if err := readPackIndex(r.packPath(pack, "idx"), func(hash plumbing.Hash) {
			if !seen[hash] {
				seen[hash] = true
				hashes = append(hashes, hash)
			}
		}); err != nil {
			return nil, fmt.Errorf("merge packs: read the index of pack %s: %w", pack, err)
		}
	}
	return hashes, nil
}

func readPackIndex(path string, each func(plumbing.Hash)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	index := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(f).Decode(index); err != nil {
		return err
	}
	entries, err := index.Entries()
	if err != nil {
		return err
	}
	defer entries.Close()
	for {
		entry, err := entries.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		each(entry.Hash)
	}
}

// packPath is the file of a pack with extension ("pack" or "idx").
func (r *repository) packPath(pack plumbing.Hash, extension string) string {
	return filepath.Join(r.dir, "objects", "pack", "pack-"+pack.String()+"."+extension)
}

// deleteRetiredPacks deletes the merged packs that no reader can still use.
// It touches no file a storage lists: those opened since the merge do not
// see them, and those opened before are no longer in use.
func (r *repository) deleteRetiredPacks() {
	var failed []plumbing.Hash
	for _, pack := range r.retired.deletable(r.readers.oldestInUse()) {
		deleted := true
		for _, extension := range []string{"pack", "idx"} {
			if err := os.Remove(r.packPath(pack, extension)); err != nil && !errors.Is(err, os.ErrNotExist) {
				deleted = false
			}
		}
		if deleted {
			r.retired.forget(pack)
		} else {
			failed = append(failed, pack)
		}
	}
	if len(failed) > 0 {
		// Still hidden; tried again at the next release or fetch.
		r.retired.retireAfter(0, failed)
	}
}

// retiredPacks are packs merged into another: hidden from the pack listings
// of storages opened after the merge, and deleted once the readers opened
// before it are done.
type retiredPacks struct {
	mu sync.Mutex
	// hidden names the pack and index files listings leave out.
	hidden map[string]bool
	// after holds each merge's packs with the reader generation that no
	// longer lists them.
	after []retirement
}

type retirement struct {
	generation uint64
	packs      []plumbing.Hash
}

func newRetiredPacks() *retiredPacks {
	return &retiredPacks{hidden: map[string]bool{}}
}

func (p *retiredPacks) hide(packs []plumbing.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pack := range packs {
		p.hidden["pack-"+pack.String()+".pack"] = true
		p.hidden["pack-"+pack.String()+".idx"] = true
	}
}

func (p *retiredPacks) retireAfter(generation uint64, packs []plumbing.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.after = append(p.after, retirement{generation: generation, packs: packs})
}

// isHidden tells whether a file of objects/pack is a retired pack's.
func (p *retiredPacks) isHidden(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hidden[name]
}

// deletable are the retired packs no reader in use can list: every reader
// in use is of the generation that hides them or later (oldest is the
// oldest generation in use, or ok false when none is).
func (p *retiredPacks) deletable(oldest uint64, inUse bool) []plumbing.Hash {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []plumbing.Hash
	kept := p.after[:0]
	for _, r := range p.after {
		if inUse && oldest < r.generation {
			kept = append(kept, r)
			continue
		}
		out = append(out, r.packs...)
	}
	p.after = kept
	return out
}

// forget stops hiding a deleted pack.
func (p *retiredPacks) forget(pack plumbing.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.hidden, "pack-"+pack.String()+".pack")
	delete(p.hidden, "pack-"+pack.String()+".idx")
}

// hiddenFrom filters a pack directory listing.
func (p *retiredPacks) hiddenFrom(dir string, files []os.FileInfo) []os.FileInfo {
	if !strings.HasSuffix(filepath.ToSlash(dir), "objects/pack") {
		return files
	}
	out := files[:0:0]
	for _, f := range files {
		if !p.isHidden(f.Name()) {
			out = append(out, f)
		}
	}
	return out
}
