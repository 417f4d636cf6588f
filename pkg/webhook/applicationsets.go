package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/appset/generators"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/refresh"
)

// ApplicationSets is the Refresher of ApplicationSets. A push refreshes
// those with a Git generator (at any nesting level) that reads the pushed
// repository at the pushed revision; a GitHub pull request or GitLab merge
// request event refreshes those with a Pull Request generator listing the
// repository's pull requests. Refreshing is writing Argo CD's
// application-set-refresh annotation, which makes the ApplicationSet
// controller run the generators at once with fresh Git ref listings; it
// writes nothing else.
//
// A Git generator whose repoURL holds a parameter (of a matrix's first
// child) is not matched, nor a Pull Request generator whose repository
// does: those ApplicationSets pick the change up at their requeue.
type ApplicationSets struct {
	// Lister lists every ApplicationSet: an informer's, or the server's
	// storage (apiserver.StoredApplicationSets). Only metadata and spec are
	// read.
	Lister ApplicationSetLister
	// Client writes the annotations.
	Client clientset.Interface
	// Parallelism bounds the writes in flight; zero means DefaultParallelism.
	Parallelism int
}

var _ Refresher = &ApplicationSets{}

// ApplicationSetLister lists ApplicationSets.
type ApplicationSetLister interface {
	List(selector labels.Selector) ([]*v1alpha1.ApplicationSet, error)
}

var _ ApplicationSetLister = listers.ApplicationSetLister(nil)

// Push refreshes the ApplicationSets whose Git generators read the pushed
// ref.
func (a *ApplicationSets) Push(ctx context.Context, push Push) error {
	matcher := newPushMatcher(push)
	return a.refresh(ctx, "push", func(appSet *v1alpha1.ApplicationSet) bool {
		return slices.ContainsFunc(generators.GitGenerators(appSet), matcher.gitGeneratorReadsPushedRef)
	})
}

// PullRequest refreshes the ApplicationSets whose Pull Request generators
// list the pull requests of the event's repository, for the actions that
// change that list or a pull request's head (Argo CD's).
func (a *ApplicationSets) PullRequest(ctx context.Context, pr PullRequest) error {
	if !refreshingAction(pr) {
		return nil
	}
	matcher := newPullRequestMatcher(pr)
	return a.refresh(ctx, "pull_request", func(appSet *v1alpha1.ApplicationSet) bool {
		return slices.ContainsFunc(generators.PullRequestGenerators(appSet), matcher.lists)
	})
}

// refresh annotates every ApplicationSet that concerns says the event is for.
func (a *ApplicationSets) refresh(ctx context.Context, event string, concerns func(*v1alpha1.ApplicationSet) bool) error {
	appSets, err := a.Lister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list ApplicationSets: %w", err)
	}
	var pending []*v1alpha1.ApplicationSet
	for _, appSet := range appSets {
		// An annotation already there is a request not yet taken up.
		if appSet.DeletionTimestamp == nil && appSet.Annotations[refresh.ApplicationSetAnnotation] == "" && concerns(appSet) {
			pending = append(pending, appSet)
		}
	}
	klog.FromContext(ctx).Info("Webhook refreshes ApplicationSets", "event", event, "refresh", len(pending))
	return forEach(ctx, a.Parallelism, len(pending), func(i int) error {
		if err := a.requestRefresh(ctx, pending[i]); err != nil {
			return err
		}
		refreshedAppSetsTotal.WithLabelValues(event).Inc()
		return nil
	})
}

// refreshPatch sets the ApplicationSet refresh annotation, as Argo CD does.
var refreshPatch, _ = json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{refresh.ApplicationSetAnnotation: "true"}}})

func (a *ApplicationSets) requestRefresh(ctx context.Context, appSet *v1alpha1.ApplicationSet) error {
	_, err := a.Client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).Patch(ctx, appSet.Name, types.MergePatchType, refreshPatch,
		metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("request a refresh of ApplicationSet %s/%s: %w", appSet.Namespace, appSet.Name, err)
	}
	return nil
}

// gitGeneratorReadsPushedRef reports whether a Git generator reads the
// pushed repository (its literal repoURL, normalized as an Application's)
// at the pushed ref (Argo CD's rule for Applications; a revision that holds
// a parameter may be any, and matches).
func (m *pushMatcher) gitGeneratorReadsPushedRef(git *v1alpha1.GitGenerator) bool {
	if project.Templated(git.RepoURL) {
		return false
	}
	repo, ok := repository(git.RepoURL)
	return ok && m.repositories[repo] && (project.Templated(git.Revision) || revisionMatches(git.Revision, m.push))
}

// Pull request actions that refresh ApplicationSets: those that open, close
// or change a pull request or its labels (Argo CD's lists).
var (
	githubRefreshingActions = []string{"opened", "closed", "synchronize", "labeled", "reopened", "unlabeled"}
	gitlabRefreshingActions = []string{"open", "close", "reopen", "update", "merge"}
)

func refreshingAction(pr PullRequest) bool {
	switch pr.Provider {
	case github.name:
		return slices.Contains(githubRefreshingActions, pr.Action)
	case gitlab.name:
		return slices.Contains(gitlabRefreshingActions, pr.Action)
	}
	return false
}

// pullRequestMatcher decides which Pull Request generators list the pull
// requests of an event's repository.
type pullRequestMatcher struct {
	pr           PullRequest
	repositories map[string]bool
	hosts        map[string]bool
}

func newPullRequestMatcher(pr PullRequest) *pullRequestMatcher {
	m := &pullRequestMatcher{pr: pr, repositories: map[string]bool{}, hosts: map[string]bool{}}
	for _, raw := range pr.RepoURLs {
		if repo, ok := repository(raw); ok {
			m.repositories[repo] = true
			m.hosts[strings.SplitN(repo, "/", 2)[0]] = true
		}
	}
	return m
}

// numericID is a GitLab project's numeric ID.
var numericID = regexp.MustCompile(`^[0-9]+$`)

// lists reports whether generator lists the event's repository's pull
// requests: a GitHub generator of the same owner and repository on the
// host of its API (api.github.com stands for github.com), or a GitLab
// generator of the same project, by path or by numeric ID, on the host of
// its API.
func (m *pullRequestMatcher) lists(generator *v1alpha1.PullRequestGenerator) bool {
	switch {
	case m.pr.Provider == github.name && generator.Github != nil:
		gh := generator.Github
		host, ok := apiHost(gh.API, "https://api.github.com/")
		if host == "api.github.com" {
			host = "github.com"
		}
		return ok && m.names(host, gh.Owner+"/"+gh.Repo)
	case m.pr.Provider == gitlab.name && generator.Gitlab != nil:
		gl := generator.Gitlab
		host, ok := apiHost(gl.API, "https://gitlab.com/")
		if !ok {
			return false
		}
		if numericID.MatchString(gl.Project) {
			return m.pr.ProjectID == gl.Project && m.hosts[host]
		}
		return m.names(host, gl.Project)
	}
	return false
}

// names reports whether repository path on host is the event's.
func (m *pullRequestMatcher) names(host, path string) bool {
	if project.Templated(host + path) {
		return false
	}
	repo, ok := repository("https://" + host + "/" + path)
	return ok && m.repositories[repo]
}

// apiHost is the host name of a generator's API URL, fallback when empty,
// normalized as repository does.
func apiHost(api, fallback string) (string, bool) {
	if api == "" {
		api = fallback
	}
	u, err := url.Parse(api)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	return normalHost(u.Hostname()), true
}
