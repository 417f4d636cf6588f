package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	informers "capstan.dev/capstan/pkg/generated/informers/externalversions"
	"capstan.dev/capstan/pkg/refresh"
	"capstan.dev/capstan/pkg/source/git/gittest"
	"capstan.dev/capstan/pkg/webhook"
	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// webhookApplication reads repoURL at revision and path, with the
// manifest-generate-paths annotation unless paths is "-".
func webhookApplication(name, repoURL, revision, path, paths string) *v1alpha1.Application {
	app := newApplication(name, "default")
	app.Spec.Source.RepoURL, app.Spec.Source.TargetRevision, app.Spec.Source.Path = repoURL, revision, path
	if paths != "-" {
		app.Annotations = map[string]string{refresh.ManifestGeneratePathsAnnotation: paths}
	}
	return app
}

func TestWebhookPushesAnnotateOnlyTheApplicationsTheyConcern(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gitServer := gittest.NewServer(t, gittest.ServerOptions{})
	repo := gitServer.NewRepo(t, "app")
	head := repo.CommitOn("main", gittest.Files{"guestbook/deploy.yaml": gittest.File("v: 0\n"), "other/deploy.yaml": gittest.File("v: 0\n")})
	cloneURL := gitServer.RepoURL("app")
	host, _, _ := strings.Cut(strings.TrimPrefix(gitServer.URL, "http://"), ":")

	apps := s.client.CapstanV1alpha1().Applications("default")
	refreshed := []*v1alpha1.Application{
		webhookApplication("changed-path", cloneURL, "main", "guestbook", "."),
		// The same repository spelled as an SSH address, following the default branch.
		webhookApplication("ssh-spelling", "ssh://git@"+host+"/app.git", "HEAD", "guestbook", "-"),
		webhookApplication("pending-hard", cloneURL, "refs/heads/main", "other", "-"),
	}
	refreshed[2].Annotations = map[string]string{refresh.Annotation: refresh.Hard}
	// Refreshed only by the providers whose payloads list no changed files.
	unchangedPath := webhookApplication("unchanged-path", cloneURL, "main", "other", ".")
	untouched := []*v1alpha1.Application{
		webhookApplication("other-branch", cloneURL, "develop", "guestbook", "-"),
		webhookApplication("other-repository", gitServer.RepoURL("other"), "main", "guestbook", "-"),
	}
	for _, app := range append(append([]*v1alpha1.Application{unchangedPath}, refreshed...), untouched...) {
		if _, err := apps.Create(ctx, app, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	factory := informers.NewSharedInformerFactory(s.client, 0)
	lister := factory.Capstan().V1alpha1().Applications().Lister()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	keys := webhook.Keys{webhooktest.AzureDevOpsUsernameKey: []byte("capstan")}
	for _, kind := range webhooktest.PushKinds {
		keys[webhooktest.SecretKey(kind)] = []byte("s3cret")
	}
	handler := webhook.NewHandler(webhook.Options{
		Keys:      func() (webhook.Keys, error) { return keys, nil },
		Refresher: webhook.Refreshers{&webhook.Applications{Lister: lister, Client: s.client}},
	})
	go handler.Run(ctx)
	receiver := httptest.NewServer(handler)
	defer receiver.Close()

	post := func(t *testing.T, d webhooktest.Delivery) int {
		t.Helper()
		request, err := d.Request(receiver.URL + webhook.Path)
		if err != nil {
			t.Fatal(err)
		}
		response, err := http.DefaultClient.Do(request)
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		handler.Idle()
		return response.StatusCode
	}
	get := func(t *testing.T, name string) *v1alpha1.Application {
		t.Helper()
		app, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	// clear removes the annotations the webhook wrote, as the controller
	// does, and waits until the informer saw it.
	clear := func(t *testing.T) {
		t.Helper()
		for _, app := range []*v1alpha1.Application{refreshed[0], refreshed[1], unchangedPath} {
			patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null,%q:null}}}`, refresh.Annotation, refresh.PushAnnotation)
			if _, err := apps.Patch(ctx, app.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			all, err := lister.List(labels.Everything())
			for _, app := range all {
				if app.Name != "pending-hard" && app.Annotations[refresh.Annotation] != "" {
					return false, err
				}
			}
			return err == nil, err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]*v1alpha1.Application{}
	for _, app := range untouched {
		before[app.Name] = get(t, app.Name)
	}

	signing := func(kind webhooktest.Kind) webhooktest.Signing {
		return webhooktest.Signing{Secret: "s3cret", Username: "capstan"}
	}
	for i, kind := range webhooktest.PushKinds {
		t.Run(string(kind), func(t *testing.T) {
			clear(t)
			after := repo.CommitOn("main", gittest.Files{"guestbook/deploy.yaml": gittest.File(fmt.Sprintf("v: %d\n", i+1)), "other/deploy.yaml": gittest.File("v: 0\n")})
			event := webhooktest.Event{Ref: "refs/heads/main", Before: head.String(), After: after.String(), CloneURL: cloneURL,
				Modified: []string{"guestbook/deploy.yaml"}}
			head = after
			if status := post(t, mustDelivery(t, kind, event, signing(kind))); status != http.StatusAccepted {
				t.Fatalf("status %d, want 202", status)
			}
			token := refresh.Push{Ref: "refs/heads/main", Commit: after.String()}.String()
			listsFiles := kind == webhooktest.GitHubPush || kind == webhooktest.GitLabPush || kind == webhooktest.GogsPush || kind == webhooktest.GiteaPush
			if got := get(t, unchangedPath.Name); (got.Annotations[refresh.PushAnnotation] == token) == listsFiles {
				t.Errorf("%s: annotations %v; a push that lists its files refreshes it only if they are under its paths", unchangedPath.Name, got.Annotations)
			}
			for _, app := range refreshed {
				got := get(t, app.Name)
				wantRefresh := refresh.Normal
				if app.Name == "pending-hard" {
					wantRefresh = refresh.Hard
				}
				if got.Annotations[refresh.Annotation] != wantRefresh || got.Annotations[refresh.PushAnnotation] != token {
					t.Errorf("%s: annotations %v, want refresh %s and push %s", app.Name, got.Annotations, wantRefresh, token)
				}
				if got.Generation != 1 || got.Operation != nil {
					t.Errorf("%s: the webhook changed the spec or started an operation (generation %d, operation %v)", app.Name, got.Generation, got.Operation)
				}
			}
		})
	}

	t.Run("unconcerned Applications and Applications whose paths did not change were never written", func(t *testing.T) {
		for _, app := range untouched {
			if got := get(t, app.Name); got.ResourceVersion != before[app.Name].ResourceVersion {
				t.Errorf("%s was written: annotations %v", app.Name, got.Annotations)
			}
		}
	})

	t.Run("a badly signed push writes nothing", func(t *testing.T) {
		clear(t)
		versions := map[string]string{}
		for _, app := range refreshed {
			versions[app.Name] = get(t, app.Name).ResourceVersion
		}
		after := repo.CommitOn("main", gittest.Files{"guestbook/deploy.yaml": gittest.File("v: forged\n")})
		event := webhooktest.Event{Ref: "refs/heads/main", Before: head.String(), After: after.String(), CloneURL: cloneURL}
		if status := post(t, mustDelivery(t, webhooktest.GitHubPush, event, webhooktest.Signing{Secret: "guess"})); status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", status)
		}
		for _, app := range refreshed {
			if got := get(t, app.Name); got.ResourceVersion != versions[app.Name] {
				t.Errorf("%s was written: annotations %v", app.Name, got.Annotations)
			}
		}
	})
}

func mustDelivery(t *testing.T, kind webhooktest.Kind, event webhooktest.Event, signing webhooktest.Signing) webhooktest.Delivery {
	t.Helper()
	d, err := webhooktest.New(kind, event, signing)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
