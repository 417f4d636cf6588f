package git

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/source/credentials"
)

// Revision is a resolved revision.
type Revision struct {
	// Commit is the full commit SHA (annotated tags are peeled).
	Commit string
	// Ref is the full name of the ref the revision matched
	// ("refs/heads/main", "refs/tags/v1.2.0"), empty for a SHA.
	Ref string
}

var shortSHA = regexp.MustCompile(`^[0-9a-fA-F]{7,39}$`)

// isFullSHA tells whether s is a full commit SHA (40 hex digits, either case),
// without a regular expression: every refresh and every read asks.
func isFullSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// refRules are git's rev-parse rules for a short ref name, in precedence order.
var refRules = []string{"refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"}

// Resolve turns a revision into a commit the way Argo CD does: a full SHA is
// taken as is (no network); otherwise refs are listed (once per TTL for all
// callers) and the revision is matched as a semver constraint over tags (the
// highest matching version wins), then as a ref name (HEAD or empty, a full
// ref name, or a branch or tag name), then as a short SHA among the fetched
// objects (fetching the advertised branches and tags if it is not there yet).
func (c *Cache) Resolve(ctx context.Context, repoURL, revision string, creds credentials.Credentials) (Revision, error) {
	repo, creds, err := c.repository(ctx, repoURL, creds)
	if err != nil {
		return Revision{}, err
	}
	revision = strings.TrimSpace(revision)
	if isFullSHA(revision) {
		return Revision{Commit: strings.ToLower(revision)}, nil
	}
	listing, err := repo.listRefs(ctx, creds)
	if err != nil {
		return Revision{}, remoteError("list refs", repoURL, revision, err, creds)
	}
	if revision == "" {
		revision = "HEAD"
	}
	match, first := listing.match(revision)
	if match.ok {
		if match.semver && first {
			klog.FromContext(ctx).V(2).Info("Resolved semver constraint", "repo", repo.displayURL(),
				"constraint", revision, "tag", match.revision.Ref, "commit", match.revision.Commit)
		}
		return match.revision, nil
	}
	if shortSHA.MatchString(revision) {
		return repo.resolveShortSHA(ctx, repoURL, revision, c.depth(creds), creds)
	}
	cause := fmt.Errorf("no branch, tag or commit of that name")
	if len(listing.refs) == 0 {
		cause = fmt.Errorf("the repository has no refs")
	}
	return Revision{}, newError("resolve revision", repoURL, revision, ErrRevisionNotFound, cause, creds)
}

// match resolves revision in the listing as a semver constraint over its
// tags, then as a ref name, remembered; first tells that this call resolved
// it (it was not remembered).
func (l *refListing) match(revision string) (match listingMatch, first bool) {
	if known, ok := l.resolved.Load(revision); ok {
		return known.(listingMatch), false
	}
	if resolved, ok := resolveSemver(revision, l); ok {
		match = listingMatch{revision: resolved, semver: true, ok: true}
	} else if resolved, ok := resolveRef(revision, l); ok {
		match = listingMatch{revision: resolved, ok: true}
	}
	if l.remembered.Add(1) <= maxRememberedRevisions {
		l.resolved.Store(revision, match)
	}
	return match, true
}

// resolveSemver applies a semver constraint to the tags, as Argo CD does: a
// plain version is a pin resolved as a tag name, not a constraint.
func resolveSemver(revision string, listing *refListing) (Revision, bool) {
	if _, err := semver.NewVersion(revision); err == nil {
		return Revision{}, false
	}
	constraint, err := semver.NewConstraint(revision)
	if err != nil {
		return Revision{}, false
	}
	var best *semver.Version
	var bestRef string
	for name := range listing.refs {
		tag, ok := strings.CutPrefix(name, "refs/tags/")
		if !ok || strings.HasSuffix(tag, "^{}") {
			continue
		}
		version, err := semver.NewVersion(tag)
		if err != nil || !constraint.Check(version) {
			continue
		}
		if best == nil || version.GreaterThan(best) || (version.Equal(best) && name < bestRef) {
			best, bestRef = version, name
		}
	}
	if best == nil {
		return Revision{}, false
	}
	commit, _ := listing.commitOf(bestRef)
	return Revision{Commit: commit.String(), Ref: bestRef}, true
}

// resolveRef matches HEAD, a full ref name, or a short name by git's rules.
func resolveRef(revision string, listing *refListing) (Revision, bool) {
	if revision == "HEAD" {
		if listing.headTarget != "" {
			if commit, ok := listing.commitOf(listing.headTarget); ok {
				return Revision{Commit: commit.String(), Ref: listing.headTarget}, true
			}
		}
		if !listing.head.IsZero() {
			return Revision{Commit: listing.head.String(), Ref: "HEAD"}, true
		}
		return Revision{}, false
	}
	candidates := []string{revision}
	for _, rule := range refRules {
		candidates = append(candidates, fmt.Sprintf(rule, revision))
	}
	for _, name := range candidates {
		if commit, ok := listing.commitOf(name); ok {
			return Revision{Commit: commit.String(), Ref: name}, true
		}
	}
	return Revision{}, false
}

// resolveShortSHA finds the unique commit starting with prefix among the
// fetched objects, fetching the advertised branches and tags once if needed.
func (r *repository) resolveShortSHA(ctx context.Context, repoURL, prefix string, depth int,
	creds credentials.Credentials) (Revision, error) {
	prefix = strings.ToLower(prefix)
	matches, err := r.commitsWithPrefix(prefix)
	if err == nil && len(matches) == 0 {
		err = r.fetchTips(ctx, plumbing.ZeroHash, depth, creds)
		if err == nil {
			matches, err = r.commitsWithPrefix(prefix)
		}
	}
	switch {
	case err != nil:
		return Revision{}, remoteError("resolve revision", repoURL, prefix, err, creds)
	case len(matches) == 0:
		return Revision{}, newError("resolve revision", repoURL, prefix, ErrRevisionNotFound,
			fmt.Errorf("no branch, tag or commit of that name"), creds)
	case len(matches) > 1:
		return Revision{}, newError("resolve revision", repoURL, prefix, ErrRevisionNotFound,
			fmt.Errorf("short SHA is ambiguous (%d commits match)", len(matches)), creds)
	}
	return Revision{Commit: matches[0].String()}, nil
}

// commitsWithPrefix lists the commits whose hex SHA starts with prefix.
func (r *repository) commitsWithPrefix(prefix string) ([]plumbing.Hash, error) {
	raw, err := hex.DecodeString(prefix[:len(prefix)/2*2])
	if err != nil {
		return nil, err
	}
	var commits []plumbing.Hash
	r.readers.with(func(s *filesystem.Storage) {
		var hashes []plumbing.Hash
		hashes, err = s.HashesWithPrefix(raw)
		seen := map[plumbing.Hash]bool{}
		for _, hash := range hashes {
			if seen[hash] || !strings.HasPrefix(hash.String(), prefix) {
				continue
			}
			seen[hash] = true
			if _, typeErr := s.EncodedObject(plumbing.CommitObject, hash); typeErr == nil {
				commits = append(commits, hash)
			}
		}
	})
	return commits, err
}

// depth is the fetch depth for these credentials: the repository Secret's,
// else the Cache's.
func (c *Cache) depth(creds credentials.Credentials) int {
	if creds.Depth > 0 {
		return int(creds.Depth)
	}
	return c.opts.Depth
}
