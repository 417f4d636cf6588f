package git

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git/gittest"
)

// packFiles counts the pack files on disk.
func packFiles(t *testing.T, r *repository) int {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(r.dir, "objects", "pack", "pack-*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	return len(matches)
}

// readCommitFiles reads every file of a commit through a storage.
func readCommitFiles(s interface {
	EncodedObject(plumbing.ObjectType, plumbing.Hash) (plumbing.EncodedObject, error)
}, commit plumbing.Hash) (map[string]string, error) {
	encoded, err := s.EncodedObject(plumbing.CommitObject, commit)
	if err != nil {
		return nil, err
	}
	c, err := object.DecodeCommit(nil, encoded)
	if err != nil {
		return nil, err
	}
	treeObject, err := s.EncodedObject(plumbing.TreeObject, c.TreeHash)
	if err != nil {
		return nil, err
	}
	var tree object.Tree
	if err := tree.Decode(treeObject); err != nil {
		return nil, err
	}
	files := map[string]string{}
	for _, entry := range tree.Entries {
		blob, err := s.EncodedObject(plumbing.BlobObject, entry.Hash)
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", entry.Name, err)
		}
		reader, err := blob.Reader()
		if err != nil {
			return nil, err
		}
		var content strings.Builder
		buf := make([]byte, 512)
		for {
			n, err := reader.Read(buf)
			content.Write(buf[:n])
			if err != nil {
				break
			}
		}
		reader.Close()
		files[entry.Name] = content.String()
	}
	return files, nil
}

func TestPacksAreMergedOnceTooManyAndReadersOpenedBeforeKeepTheirs(t *testing.T) {
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repo := server.NewRepo(t, "app")
	url := server.RepoURL("app")
	cache, err := NewCache(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	ctx := context.Background()
	var creds credentials.Credentials

	// Each commit is fetched alone: a pack each.
	var commits []plumbing.Hash
	fetch := func(i int) {
		t.Helper()
		commit := repo.CommitOn("main", gittest.Files{
			"README.md":               gittest.File(fmt.Sprintf("version %d\n", i)),
			fmt.Sprintf("f%d.txt", i): gittest.File(strings.Repeat(fmt.Sprintf("line %d\n", i), 50)),
		})
		commits = append(commits, commit)
		if err := cache.Fetch(ctx, url, commit.String(), creds); err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
	}
	for i := range maxPacks {
		fetch(i)
	}
	r, _, err := cache.repository(ctx, url, creds)
	if err != nil {
		t.Fatal(err)
	}
	if got := packFiles(t, r); got != maxPacks {
		t.Fatalf("%d packs after %d fetches, want one each", got, maxPacks)
	}

	// A reader that lists the packs before the merge, in use across it.
	held := r.readers.get()
	if _, err := readCommitFiles(held.storage, commits[0]); err != nil {
		t.Fatal(err)
	}

	fetch(maxPacks) // one pack too many: merged
	listed, err := r.writer.ObjectPacks()
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 {
		t.Errorf("the store lists %d packs after the merge, want 2 (the largest and the merged one)", len(listed))
	}
	if got := packFiles(t, r); got != maxPacks+1+1 {
		t.Errorf("%d pack files on disk while a reader from before the merge is in use, want all %d kept", got, maxPacks+2)
	}
	for _, commit := range []plumbing.Hash{commits[0], commits[maxPacks/2]} {
		files, err := readCommitFiles(held.storage, commit)
		if err != nil || len(files) != 2 {
			t.Errorf("the reader from before the merge reads commit %s: %d files, %v", commit, len(files), err)
		}
	}

	r.readers.put(held)
	if got := packFiles(t, r); got != 2 {
		t.Errorf("%d pack files on disk once the reader is returned, want the 2 listed", got)
	}
	for i, commit := range commits {
		_, tree, err := cache.Open(ctx, url, commit.String(), creds)
		if err != nil {
			t.Fatalf("open commit %d after the merge: %v", i, err)
		}
		got, err := tree.ReadFile(fmt.Sprintf("f%d.txt", i))
		if err != nil || string(got) != strings.Repeat(fmt.Sprintf("line %d\n", i), 50) {
			t.Errorf("commit %d: f%d.txt %q, %v", i, i, got, err)
		}
	}

	for i := maxPacks + 1; i < 2*maxPacks+2; i++ {
		fetch(i)
	}
	if got := packFiles(t, r); got > maxPacks {
		t.Errorf("%d pack files after %d fetches, want at most %d", got, len(commits), maxPacks)
	}
}
