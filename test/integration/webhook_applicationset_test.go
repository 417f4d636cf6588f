package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/controller/applicationset"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/refresh"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
	"capstan.dev/capstan/pkg/webhook"
	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// webhookAppSet is an ApplicationSet manifest named name with generators
// (YAML, indented for spec) and a template that reads repoURL.
func webhookAppSet(name, generatorsYAML string) string {
	return fmt.Sprintf(`
metadata: {name: %s}
spec:
  goTemplate: true
  generators:
%s
  template:
    metadata: {name: '{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: 'https://git.example.com/apps.git', path: '{{.path.path}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}'}
`, name, generatorsYAML)
}

func TestWebhookEventsAnnotateOnlyTheApplicationSetsTheyConcern(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const namespace = "argocd"
	cloneURL := "https://git.example.com/team/apps.git"
	git := func(repoURL, revision string) string {
		return fmt.Sprintf("{git: {repoURL: '%s', revision: '%s', directories: [{path: 'apps/*'}]}}", repoURL, revision)
	}
	appSets := map[string]string{
		"git-top":           "  - " + git(cloneURL, "main"),
		"git-ssh-head":      "  - " + git("git@git.example.com:team/apps.git", "HEAD"),
		"git-in-matrix":     "  - matrix: {generators: [{list: {elements: [{env: dev}]}}, " + git("https://git.example.com/team/apps", "refs/heads/main") + "]}",
		"git-nested":        "  - merge: {mergeKeys: [env], generators: [{list: {elements: [{env: dev}]}}, {matrix: {generators: [{list: {elements: [{env: dev}]}}, " + git(cloneURL, "main") + "]}}]}",
		"git-other-branch":  "  - " + git(cloneURL, "develop"),
		"git-other-repo":    "  - " + git("https://git.example.com/team/other.git", "main"),
		"git-templated-url": "  - matrix: {generators: [{list: {elements: [{repo: '" + cloneURL + "'}]}}, " + git("{{.repo}}", "main") + "]}",
		"github-prs":        "  - pullRequest: {github: {owner: Team, repo: apps}}",
		"github-prs-nested": "  - matrix: {generators: [{list: {elements: [{env: dev}]}}, {pullRequest: {github: {owner: team, repo: apps}}}]}",
		"github-other-repo": "  - pullRequest: {github: {owner: team, repo: other}}",
		"gitlab-by-id":      "  - pullRequest: {gitlab: {api: 'https://gitlab.example.com/', project: '15'}}",
		"gitlab-by-path":    "  - pullRequest: {gitlab: {api: 'https://gitlab.example.com', project: 'team/apps'}}",
		"gitlab-other-id":   "  - pullRequest: {gitlab: {api: 'https://gitlab.example.com/', project: '16'}}",
	}
	for name, generatorsYAML := range appSets {
		createAppSet(t, s.client, namespace, webhookAppSet(name, generatorsYAML))
	}
	factory := informers.NewSharedInformerFactory(s.client, 0)
	lister := factory.Capstan().V1alpha1().ApplicationSets().Lister()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	post := startReceiver(t, &webhook.ApplicationSets{Lister: lister, Client: s.client})
	client := s.client.CapstanV1alpha1().ApplicationSets(namespace)

	// refreshed lists the ApplicationSets carrying the refresh annotation,
	// then removes it, as the controller does, and waits until the
	// informer saw that.
	refreshed := func(t *testing.T) string {
		t.Helper()
		list, err := client.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, appSet := range list.Items {
			if value, ok := appSet.Annotations[refresh.ApplicationSetAnnotation]; ok {
				if value != "true" {
					t.Errorf("%s: refresh annotation %q, want Argo CD's \"true\"", appSet.Name, value)
				}
				if appSet.Generation != 1 {
					t.Errorf("%s: the webhook changed the spec (generation %d)", appSet.Name, appSet.Generation)
				}
				names = append(names, appSet.Name)
				patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, refresh.ApplicationSetAnnotation)
				if _, err := client.Patch(ctx, appSet.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitFor(t, "the informer saw the annotations removed", func(context.Context) (bool, error) {
			all, err := lister.List(labels.Everything())
			for _, appSet := range all {
				if _, ok := appSet.Annotations[refresh.ApplicationSetAnnotation]; ok {
					return false, err
				}
			}
			return err == nil, err
		})
		return strings.Join(names, " ")
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	signing := webhooktest.Signing{Secret: "s3cret", Username: "capstan"}
	tests := []struct {
		name  string
		kind  webhooktest.Kind
		event webhooktest.Event
		want  string
	}{
		{"a push refreshes the Git generators of the pushed ref at every nesting level", webhooktest.GitHubPush,
			webhooktest.Event{Ref: "refs/heads/main", After: sha, CloneURL: cloneURL}, "git-in-matrix git-nested git-ssh-head git-top"},
		{"a push of another provider reads the same", webhooktest.GitLabPush,
			webhooktest.Event{Ref: "refs/heads/main", After: sha, CloneURL: cloneURL}, "git-in-matrix git-nested git-ssh-head git-top"},
		{"a push to another branch refreshes its generators only", webhooktest.GogsPush,
			webhooktest.Event{Ref: "refs/heads/develop", After: sha, CloneURL: cloneURL}, "git-other-branch"},
		{"a GitHub pull request refreshes the generators listing its repository", webhooktest.GitHubPullRequest,
			webhooktest.Event{Ref: "refs/heads/feature", After: sha, CloneURL: "https://github.com/team/apps.git"}, "github-prs github-prs-nested"},
		{"a GitLab merge request refreshes the generators of its project, by ID or path", webhooktest.GitLabMergeRequest,
			webhooktest.Event{Ref: "refs/heads/feature", After: sha, CloneURL: "https://gitlab.example.com/team/apps.git"}, "gitlab-by-id gitlab-by-path"},
		{"a badly signed push refreshes nothing", webhooktest.GitHubPush,
			webhooktest.Event{Ref: "refs/heads/main", After: sha, CloneURL: cloneURL}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, wantStatus := signing, http.StatusAccepted
			if tt.want == "" {
				s, wantStatus = webhooktest.Signing{Secret: "guess"}, http.StatusUnauthorized
			}
			if status := post(t, mustDelivery(t, tt.kind, tt.event, s)); status != wantStatus {
				t.Fatalf("status %d, want %d", status, wantStatus)
			}
			if got := refreshed(t); got != tt.want {
				t.Errorf("refreshed ApplicationSets %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAWebhookPushMakesTheApplicationSetGenerateAtOnce(t *testing.T) {
	s := startServer(t)
	gitServer := gittest.NewServer(t, gittest.ServerOptions{})
	repo := gitServer.NewRepo(t, "apps")
	first := repo.CommitOn("main", gittest.Files{"apps/a/kustomization.yaml": gittest.File("resources: []")})
	cache, err := git.NewCache(t.TempDir(), git.Options{})
	if err != nil {
		t.Fatal(err)
	}
	startAppSetController(t, s, applicationset.Options{}, generators.Sources{Git: gitCacheSource{cache}})
	repoURL := gitServer.RepoURL("apps")
	// An hour between runs: only the webhook can make it see the push.
	createAppSet(t, s.client, "argocd", webhookAppSet("apps",
		"  - {git: {repoURL: '"+repoURL+"', revision: main, requeueAfterSeconds: 3600, directories: [{path: 'apps/*'}]}}"))
	waitForApplications(t, s.client, "argocd", "a")

	factory := informers.NewSharedInformerFactory(s.client, 0)
	lister := factory.Capstan().V1alpha1().ApplicationSets().Lister()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	post := startReceiver(t, &webhook.ApplicationSets{Lister: lister, Client: s.client})

	second := repo.CommitOn("main", gittest.Files{"apps/b/kustomization.yaml": gittest.File("resources: []")})
	event := webhooktest.Event{Ref: "refs/heads/main", Before: first.String(), After: second.String(), CloneURL: repoURL,
		Added: []string{"apps/b/kustomization.yaml"}}
	if status := post(t, mustDelivery(t, webhooktest.GiteaPush, event, webhooktest.Signing{Secret: "s3cret"})); status != http.StatusAccepted {
		t.Fatalf("status %d, want 202", status)
	}
	waitForApplications(t, s.client, "argocd", "a", "b")
	waitFor(t, "the controller removed the refresh annotation", func(ctx context.Context) (bool, error) {
		appSet, err := s.client.CapstanV1alpha1().ApplicationSets("argocd").Get(ctx, "apps", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		_, requested := appSet.Annotations[refresh.ApplicationSetAnnotation]
		return !requested, nil
	})
}
