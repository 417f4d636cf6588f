package application

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/apiserver/pkg/util/dryrun"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// The action subresources (sync, rollback, terminate) change one stored
// Application in place; these helpers are what they share.

// guaranteedUpdate applies mutate to the stored Application, retrying on
// conflicts with concurrent writers; mutate's errors are returned as they are.
func guaranteedUpdate(ctx context.Context, store *genericregistry.Store, name string, dryRunOpts []string, mutate func(*capstan.Application) error) error {
	key, err := store.KeyFunc(ctx, name)
	if err != nil {
		return err
	}
	err = store.Storage.GuaranteedUpdate(ctx, key, &capstan.Application{}, false, nil,
		storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			app, ok := obj.(*capstan.Application)
			if !ok {
				return nil, fmt.Errorf("unexpected object in storage: %T", obj)
			}
			if app.DeletionTimestamp != nil {
				return nil, apierrors.NewConflict(capstan.Resource("applications"), name,
					fmt.Errorf("the application is being deleted"))
			}
			if err := mutate(app); err != nil {
				return nil, err
			}
			return app, nil
		}), dryrun.IsDryRun(dryRunOpts), nil)
	if err != nil {
		return storeerr.InterpretUpdateError(err, store.DefaultQualifiedResource, name)
	}
	return nil
}

// checkRequestName refuses a request body that names another Application.
func checkRequestName(urlName, bodyName string) error {
	if bodyName != "" && bodyName != urlName {
		return apierrors.NewBadRequest(fmt.Sprintf("metadata.name %q does not match the application %q in the URL", bodyName, urlName))
	}
	return nil
}

func requestingUser(ctx context.Context) string {
	if user, ok := genericapirequest.UserFrom(ctx); ok {
		return user.GetName()
	}
	return ""
}
