package webhook

import (
	"context"
	"errors"
	"strings"
)

// Push is one ref update of a verified push event.
type Push struct {
	// Provider names the Git host kind that sent it ("github", "gitlab", ...).
	Provider string
	// RepoURLs are the addresses of the pushed repository the payload gives
	// (web page, clone URLs); an Application reads the repository when its
	// repoURL names the same host and path as any of them.
	RepoURLs []string
	// Ref is the full name of the updated ref: refs/heads/NAME or refs/tags/NAME.
	Ref string
	// Before and After are the commits the ref pointed to before and after the
	// push; After is empty when the push deleted the ref, Before when it
	// created it.
	Before, After string
	// TouchedHead is true when the pushed ref is the repository's default
	// branch, which Applications targeting HEAD (or nothing) follow.
	TouchedHead bool
	// ChangedFiles are the repository paths the pushed commits changed; nil
	// when the payload does not list them all, and then every Application
	// reading the ref is refreshed.
	ChangedFiles []string
}

// Revision is the ref's short name as Argo CD compares it with a
// targetRevision: the part after refs/heads/ or refs/tags/.
func (p Push) Revision() string {
	parts := strings.SplitN(p.Ref, "/", 3)
	return parts[len(parts)-1]
}

// PullRequest is a verified pull request (merge request) event, for the
// ApplicationSet pull request generator.
type PullRequest struct {
	// Provider names the Git host kind that sent it.
	Provider string
	// RepoURLs are the addresses of the base repository.
	RepoURLs []string
	// Number is the pull request's number (GitLab's iid).
	Number int64
	// Action is the provider's action: opened, synchronize, closed, ... on
	// GitHub; open, update, close, merge, ... on GitLab.
	Action string
	// HeadBranch and HeadCommit are the source branch and its latest commit;
	// BaseBranch is the branch it would merge into.
	HeadBranch, HeadCommit, BaseBranch string
}

// Refresher is told about verified events. The receiver calls it only after
// the request's signature was checked (or unsigned requests are allowed), and
// an implementation may only cause refreshes: a webhook carries no user, so
// it must never start a sync or write a spec.
type Refresher interface {
	// Push refreshes everything that reads the pushed repository at the
	// pushed ref.
	Push(ctx context.Context, push Push) error
	// PullRequest refreshes everything that lists the repository's pull
	// requests.
	PullRequest(ctx context.Context, pullRequest PullRequest) error
}

// Refreshers tells every Refresher in turn: the Applications, and the
// ApplicationSets once their controller joins.
type Refreshers []Refresher

var _ Refresher = Refreshers{}

// Push tells each Refresher about the push, even after one fails.
func (r Refreshers) Push(ctx context.Context, push Push) error {
	var errs []error
	for _, refresher := range r {
		errs = append(errs, refresher.Push(ctx, push))
	}
	return errors.Join(errs...)
}

// PullRequest tells each Refresher about the pull request, even after one fails.
func (r Refreshers) PullRequest(ctx context.Context, pullRequest PullRequest) error {
	var errs []error
	for _, refresher := range r {
		errs = append(errs, refresher.PullRequest(ctx, pullRequest))
	}
	return errors.Join(errs...)
}
