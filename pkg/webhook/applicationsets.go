package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/appset/generators"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
)

// ApplicationSetRefreshAnnotation asks the ApplicationSet controller to run
// an ApplicationSet's generators again now (Argo CD's annotation); the
// controller removes it.
const ApplicationSetRefreshAnnotation = "argocd.argoproj.io/application-set-refresh"

// ApplicationSets is the Refresher of ApplicationSets. For a pull request
// event it writes the refresh annotation on every ApplicationSet whose pull
// request generator lists the event's repository, so that the controller,
// in whichever replica runs it, lists the pull requests again at once. It
// writes nothing else.
type ApplicationSets struct {
	// Lister lists every ApplicationSet (an informer's).
	Lister listers.ApplicationSetLister
	// Client writes the annotations.
	Client clientset.Interface
}

var _ Refresher = &ApplicationSets{}

// Push does nothing: Git generators follow new commits through the shared
// ref listings already.
func (a *ApplicationSets) Push(context.Context, Push) error { return nil }

// PullRequest annotates the ApplicationSets that list the repository's pull
// requests.
func (a *ApplicationSets) PullRequest(ctx context.Context, pullRequest PullRequest) error {
	appSets, err := a.Lister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list ApplicationSets: %w", err)
	}
	var paths []string
	for _, raw := range pullRequest.RepoURLs {
		if name, ok := repository(raw); ok {
			_, repoPath, _ := strings.Cut(name, "/")
			paths = append(paths, repoPath)
		}
	}
	var errs []error
	refreshed := 0
	patch := []byte(`{"metadata":{"annotations":{"` + ApplicationSetRefreshAnnotation + `":"true"}}}`)
	for _, appSet := range appSets {
		if appSet.DeletionTimestamp != nil || appSet.Annotations[ApplicationSetRefreshAnnotation] != "" ||
			!generators.ListsPullRequestsOf(appSet, paths) {
			continue
		}
		_, err := a.Client.CapstanV1alpha1().ApplicationSets(appSet.Namespace).Patch(ctx, appSet.Name, types.MergePatchType, patch,
			metav1.PatchOptions{FieldManager: FieldManager})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("request a refresh of ApplicationSet %s/%s: %w", appSet.Namespace, appSet.Name, err))
			continue
		}
		refreshed++
	}
	klog.FromContext(ctx).Info("Webhook pull request", "provider", pullRequest.Provider, "number", pullRequest.Number,
		"action", pullRequest.Action, "applicationSets", refreshed)
	return errors.Join(errs...)
}
