package application

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/compare"
)

// refresh compares one Application and writes its status when it changed.
func (c *Controller) refresh(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	app, err := c.lister.Applications(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx).WithValues("application", key)
	ctx = klog.NewContext(ctx, logger)
	hard := app.Annotations[RefreshAnnotation] == "hard"

	result := c.comparer.Compare(ctx, app, compare.Options{Hard: hard})
	if err := c.writeStatus(ctx, app, result); err != nil {
		return err
	}
	if _, requested := app.Annotations[RefreshAnnotation]; requested {
		return c.clearRefreshAnnotation(ctx, app)
	}
	return nil
}
