package webhook

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/generated/clientset/versioned/fake"
	"capstan.dev/capstan/pkg/generated/informers/externalversions"
)

// pullRequestAppSet is an ApplicationSet listing the pull requests of a
// GitHub repository.
func pullRequestAppSet(name, owner, repo string) *v1alpha1.ApplicationSet {
	return &v1alpha1.ApplicationSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team"},
		Spec: v1alpha1.ApplicationSetSpec{Generators: []v1alpha1.ApplicationSetGenerator{{
			PullRequest: &v1alpha1.PullRequestGenerator{Github: &v1alpha1.PullRequestGeneratorGithub{Owner: owner, Repo: repo}},
		}}},
	}
}

func TestPullRequestEventsRefreshTheApplicationSetsListingTheRepository(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// NewClientset would need the apply configurations' schema for merge patches.
	client := fake.NewSimpleClientset( //nolint:staticcheck
		pullRequestAppSet("listing", "Acme", "API"),
		pullRequestAppSet("other-repository", "acme", "web"),
		pullRequestAppSet("templated", "{{.owner}}", "api"),
	)
	factory := externalversions.NewSharedInformerFactory(client, 0)
	lister := factory.Capstan().V1alpha1().ApplicationSets().Lister()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())

	refresher := &ApplicationSets{Lister: lister, Client: client}
	err := refresher.PullRequest(ctx, PullRequest{Provider: "github", Number: 7, Action: "opened",
		RepoURLs: []string{"https://github.com/acme/api", "git@github.com:acme/api.git"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"listing": "true", "other-repository": "", "templated": ""} {
		appSet, err := client.CapstanV1alpha1().ApplicationSets("team").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := appSet.Annotations[ApplicationSetRefreshAnnotation]; got != want {
			t.Errorf("%s: refresh annotation %q, want %q", name, got, want)
		}
	}
}
