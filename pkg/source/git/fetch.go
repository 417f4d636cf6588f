package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/source/credentials"
)

// Fetch makes sure commit (a full SHA, as returned by Resolve) is in the bare
// repository. It does no network work when the commit is already there.
// Otherwise concurrent callers share one incremental fetch: of every
// advertised branch and tag whose tip is missing (full history), or of the
// commit alone (shallow, with Options.Depth or the Secret's depth); a commit
// that no branch or tag reaches is then asked for by SHA.
func (c *Cache) Fetch(ctx context.Context, repoURL, commit string, creds credentials.Credentials) error {
	repo, creds, err := c.repository(ctx, repoURL, creds)
	if err != nil {
		return err
	}
	if !isFullSHA(commit) {
		return newError("fetch", repoURL, commit, ErrRevisionNotFound,
			fmt.Errorf("not a full commit SHA; resolve the revision first"), creds)
	}
	hash := plumbing.NewHash(strings.ToLower(commit))
	if repo.hasObject(hash) {
		return nil
	}
	depth := c.depth(creds)
	if depth == 0 {
		if err := repo.fetchTips(ctx, hash, depth, creds); err != nil {
			return remoteError("fetch", repoURL, commit, err, creds)
		}
		if repo.hasObject(hash) {
			return nil
		}
	}
	_, err = repo.shared(ctx, &repo.fetchGroup, "commit "+hash.String(), func(ctx context.Context) (any, error) {
		if repo.hasObject(hash) {
			return nil, nil
		}
		return nil, repo.fetch(ctx, fetchRequest{commit: hash, depth: depth}, creds)
	})
	if err != nil && classify(openErrors(err)) != nil {
		return remoteError("fetch", repoURL, commit, err, creds)
	}
	if err != nil {
		// The server refused the want: no ref reaches the commit.
		return newError("fetch", repoURL, commit, ErrRevisionNotFound, hideServerText(err, true), creds)
	}
	if !repo.hasObject(hash) {
		return newError("fetch", repoURL, commit, ErrRevisionNotFound,
			fmt.Errorf("no branch or tag of the repository reaches it"), creds)
	}
	return nil
}

// fetchTips fetches every advertised branch and tag whose tip is missing,
// once for all concurrent callers. want, when not zero, is a commit the caller
// needs: a flight that starts after it arrived does nothing.
func (r *repository) fetchTips(ctx context.Context, want plumbing.Hash, depth int, creds credentials.Credentials) error {
	_, err := r.shared(ctx, &r.fetchGroup, "tips", func(ctx context.Context) (any, error) {
		if !want.IsZero() && r.hasObject(want) {
			return nil, nil
		}
		return nil, r.fetch(ctx, fetchRequest{tips: true, commit: want, depth: depth}, creds)
	})
	return err
}

// fetchRequest says what one fetch asks for.
type fetchRequest struct {
	// tips asks for every missing branch and tag tip (and commit, if it is
	// advertised under another ref).
	tips bool
	// commit is asked for by SHA when tips is false.
	commit plumbing.Hash
	depth  int
}

// fetch runs one upload-pack exchange and stores the pack and the fetched
// branch and tag refs. Writes are serialized per repository; readers are
// never blocked.
func (r *repository) fetch(ctx context.Context, request fetchRequest, creds credentials.Credentials) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	logger := klog.FromContext(ctx)
	session, err := r.cache.transports.session(ctx, r.url, creds)
	if err != nil {
		return err
	}
	defer func() { _ = session.Close() }()
	r.fetches.Add(1)
	advertised, err := session.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	wants := r.wants(advertised, request)
	if len(wants) == 0 {
		return nil
	}
	upload := packp.NewUploadPackRequestFromCapabilities(advertised.Capabilities)
	upload.Wants = wants
	upload.Haves = r.haves()
	if request.depth > 0 {
		upload.Depth = packp.DepthCommits(request.depth)
		if err := upload.Capabilities.Set(capability.Shallow); err != nil {
			return err
		}
		if upload.Shallows, err = r.writer.Shallow(); err != nil {
			return err
		}
	}
	if advertised.Capabilities.Supports(capability.NoProgress) {
		_ = upload.Capabilities.Set(capability.NoProgress)
	}
	logger.V(2).Info("Fetching Git objects", "repo", r.displayURL(), "wants", len(wants), "depth", request.depth)
	response, err := session.UploadPack(ctx, upload)
	if errors.Is(err, transport.ErrEmptyUploadPackRequest) {
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = response.Close() }()
	if err := r.storeShallows(response.Shallows); err != nil {
		return err
	}
	if err := packfile.UpdateObjectStorage(r.writer, demux(upload.Capabilities, response)); err != nil {
		return fmt.Errorf("store fetched objects: %w", err)
	}
	r.readers.invalidate()
	if err := r.storeRefs(advertised.References); err != nil {
		return err
	}
	if err := r.consolidatePacks(); err != nil {
		// The fetch itself succeeded: the packs stay as they are.
		logger.Info("Merging the Git packs of a repository failed; they stay as they are", "repo", r.displayURL(), "err", err)
	}
	return nil
}

// wants lists the objects to ask for.
func (r *repository) wants(advertised *packp.AdvRefs, request fetchRequest) []plumbing.Hash {
	if !request.tips {
		return []plumbing.Hash{request.commit}
	}
	seen := map[plumbing.Hash]bool{}
	var wants []plumbing.Hash
	for name, hash := range advertised.References {
		wanted := strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/tags/") ||
			(!request.commit.IsZero() && hash == request.commit)
		if !wanted || seen[hash] || r.writer.HasEncodedObject(hash) == nil {
			continue
		}
		seen[hash] = true
		wants = append(wants, hash)
	}
	return wants
}

// haves lists the local branch and tag tips, so the server sends only what is
// new.
func (r *repository) haves() []plumbing.Hash {
	iter, err := r.writer.IterReferences()
	if err != nil {
		return nil
	}
	seen := map[plumbing.Hash]bool{}
	var haves []plumbing.Hash
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		hash := ref.Hash()
		if ref.Type() == plumbing.HashReference && !seen[hash] && r.writer.HasEncodedObject(hash) == nil {
			seen[hash] = true
			haves = append(haves, hash)
		}
		return nil
	})
	return haves
}

func (r *repository) storeShallows(shallows []plumbing.Hash) error {
	if len(shallows) == 0 {
		return nil
	}
	existing, err := r.writer.Shallow()
	if err != nil {
		return err
	}
	known := map[plumbing.Hash]bool{}
	for _, hash := range existing {
		known[hash] = true
	}
	for _, hash := range shallows {
		if !known[hash] {
			existing = append(existing, hash)
			known[hash] = true
		}
	}
	return r.writer.SetShallow(existing)
}

// storeRefs records the advertised branches and tags whose objects are now
// local; they are the haves of the next fetch.
func (r *repository) storeRefs(advertised map[string]plumbing.Hash) error {
	for name, hash := range advertised {
		if !strings.HasPrefix(name, "refs/heads/") && !strings.HasPrefix(name, "refs/tags/") {
			continue
		}
		if r.writer.HasEncodedObject(hash) != nil {
			continue
		}
		if err := r.writer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), hash)); err != nil {
			return fmt.Errorf("store ref %s: %w", name, err)
		}
	}
	return nil
}

// demux strips the side-band framing when the server uses it.
func demux(capabilities *capability.List, response io.Reader) io.Reader {
	switch {
	case capabilities.Supports(capability.Sideband64k):
		return sideband.NewDemuxer(sideband.Sideband64k, response)
	case capabilities.Supports(capability.Sideband):
		return sideband.NewDemuxer(sideband.Sideband, response)
	}
	return response
}
