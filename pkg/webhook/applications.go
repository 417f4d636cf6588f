package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	listers "capstan.dev/capstan/pkg/generated/listers/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
)

// FieldManager is the manager of the annotations the receiver writes.
const FieldManager = "capstan-webhook"

// DefaultParallelism bounds the annotation writes of one push in flight.
const DefaultParallelism = 20

// Applications is the Refresher of Applications. For a push it asks the
// controller to refresh every Application that reads the pushed ref of the
// pushed repository (and whose manifest-generate-paths, if any, saw a
// change) by writing the refresh annotation with the push beside it: the
// controller then lists the repository's refs once for all of them. It
// writes nothing else: no spec, no operation.
type Applications struct {
	// Lister lists every Application: an informer's, or the server's storage
	// (apiserver.StoredApplications). Only metadata and spec are read.
	Lister ApplicationLister
	// Client writes the annotations.
	Client clientset.Interface
	// Parallelism bounds the writes in flight; zero means DefaultParallelism.
	Parallelism int
}

var _ Refresher = &Applications{}

// ApplicationLister lists Applications.
type ApplicationLister interface {
	List(selector labels.Selector) ([]*v1alpha1.Application, error)
}

var _ ApplicationLister = listers.ApplicationLister(nil)

// Push annotates the Applications the push concerns for a refresh.
func (a *Applications) Push(ctx context.Context, push Push) error {
	apps, err := a.Lister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list Applications: %w", err)
	}
	matcher := newPushMatcher(push)
	token := refresh.Push{Ref: push.Ref, Commit: push.After}.String()
	var pending []*v1alpha1.Application
	skipped := 0
	for _, app := range apps {
		if app.DeletionTimestamp != nil {
			continue
		}
		concerned, refreshes := matcher.concerns(app)
		switch {
		case !concerned:
		case !refreshes:
			skipped++
		case app.Annotations[refresh.PushAnnotation] == token && app.Annotations[refresh.Annotation] != "":
			// Asked already (the host delivered the push twice).
		default:
			pending = append(pending, app)
		}
	}
	refreshedTotal.WithLabelValues("skipped").Add(float64(skipped))
	klog.FromContext(ctx).Info("Webhook push", "provider", push.Provider, "ref", push.Ref, "commit", push.After,
		"refresh", len(pending), "unchangedPaths", skipped)

	return forEach(ctx, a.Parallelism, len(pending), func(i int) error {
		if err := a.requestRefresh(ctx, pending[i], token); err != nil {
			return err
		}
		refreshedTotal.WithLabelValues("refreshed").Inc()
		return nil
	})
}

// forEach calls write for 0..n-1, at most parallelism (zero:
// DefaultParallelism) at once, and joins their errors.
func forEach(ctx context.Context, parallelism, n int, write func(i int) error) error {
	if parallelism <= 0 {
		parallelism = DefaultParallelism
	}
	var mu sync.Mutex
	var errs []error
	workqueue.ParallelizeUntil(ctx, parallelism, n, func(i int) {
		if err := write(i); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	return errors.Join(errs...)
}

// requestRefresh writes the refresh annotation, normal unless a hard one
// is pending, and the push.
func (a *Applications) requestRefresh(ctx context.Context, app *v1alpha1.Application, token string) error {
	annotations := map[string]string{refresh.PushAnnotation: token}
	if app.Annotations[refresh.Annotation] != refresh.Hard {
		annotations[refresh.Annotation] = refresh.Normal
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return err
	}
	_, err = a.Client.CapstanV1alpha1().Applications(app.Namespace).Patch(ctx, app.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("request a refresh of Application %s/%s: %w", app.Namespace, app.Name, err)
	}
	return nil
}

// PullRequest does nothing: Applications do not list pull requests.
func (a *Applications) PullRequest(context.Context, PullRequest) error { return nil }
