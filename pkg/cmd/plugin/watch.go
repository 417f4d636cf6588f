package plugin

import (
	"context"
	"errors"
	"fmt"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

var (
	// errTimedOut reports that a wait ended at its --timeout.
	errTimedOut = errors.New("timed out waiting for the condition")
	// errDeleted reports that the Application waited for was deleted.
	errDeleted = errors.New("was deleted")
)

// watchApplication follows the Application name by watch until done says
// so, timeout passes (none when 0) or ctx ends; it returns the last version
// seen. An Application that does not exist, or is deleted, fails the wait.
func watchApplication(ctx context.Context, apps applicationGetter, name string, timeout time.Duration,
	done func(*v1alpha1.Application) (bool, error)) (*v1alpha1.Application, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, options metav1.ListOptions) (runtime.Object, error) {
			options.FieldSelector = selector
			return apps.List(ctx, options)
		},
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			options.FieldSelector = selector
			return apps.Watch(ctx, options)
		},
	}
	var last *v1alpha1.Application
	exists := func(store cache.Store) (bool, error) {
		if len(store.List()) == 0 {
			return false, apierrors.NewNotFound(v1alpha1.Resource("applications"), name)
		}
		return false, nil
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &v1alpha1.Application{}, exists, func(event watch.Event) (bool, error) {
		if event.Type == watch.Deleted {
			return false, fmt.Errorf("%s %w", qualified(name), errDeleted)
		}
		app, ok := event.Object.(*v1alpha1.Application)
		if !ok {
			return false, nil
		}
		last = app
		return done(app)
	})
	if err != nil && ctx.Err() != nil {
		return last, fmt.Errorf("%w on %s", errTimedOut, qualified(name))
	}
	return last, err
}

// operationDone reports whether the operation in flight when before was
// read has ended: the Application has no operation, and its operation state
// is newer than before's.
func operationDone(before *v1alpha1.Application) func(*v1alpha1.Application) bool {
	return func(app *v1alpha1.Application) bool {
		state := app.Status.OperationState
		return app.Operation == nil && state != nil && state.Phase.IsCompleted() && newerOperation(before, app)
	}
}

// newerOperation reports whether app's operation state is another than before's.
// Times have a resolution of a second, and two operations may start and end
// within one: any change of the state, or of the history a successful
// operation appends to, tells a newer operation.
func newerOperation(before, app *v1alpha1.Application) bool {
	state := app.Status.OperationState
	if state == nil {
		return false
	}
	old := before.Status.OperationState
	return old == nil || !apiequality.Semantic.DeepEqual(state, old) ||
		!apiequality.Semantic.DeepEqual(app.Status.History, before.Status.History)
}

// applicationGetter is what the waits need of the Applications client.
type applicationGetter interface {
	Get(ctx context.Context, name string, options metav1.GetOptions) (*v1alpha1.Application, error)
	List(ctx context.Context, options metav1.ListOptions) (*v1alpha1.ApplicationList, error)
	Watch(ctx context.Context, options metav1.ListOptions) (watch.Interface, error)
}
