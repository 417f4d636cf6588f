package application

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// The controller writes an Application and, a few milliseconds later, its
// informer delivers that write. Meanwhile the informer's copy is stale: a
// step or a comparison working on it would write on an old resourceVersion
// and conflict (during a cold sync, where the events of the objects an
// operation creates refresh its Application right after each write, more
// than one write in five did). The controller therefore keeps what it wrote
// until the informer has it, and works on the newer of the two.

// wrote remembers app as this controller just wrote (or read) it.
func (c *Controller) wrote(app *v1alpha1.Application) {
	if app == nil {
		return
	}
	key, err := cache.MetaNamespaceKeyFunc(app)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.mustRead, key)
	if known := c.written[key]; known != nil && newerThan(known, app) {
		return
	}
	if c.written == nil {
		c.written = map[string]*v1alpha1.Application{}
	}
	c.written[key] = app
}

// seenLocked forgets what this controller wrote of key once the informer has
// delivered app, that write or a later one. c.mu is held.
func (c *Controller) seenLocked(key string, app *v1alpha1.Application) {
	if known := c.written[key]; known != nil && !newerThan(known, app) {
		delete(c.written, key)
	}
}

// conflicted records that a write of key conflicted: someone else wrote it
// since this controller's last write, and the next copy is read.
func (c *Controller) conflicted(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.written, key)
	if c.mustRead == nil {
		c.mustRead = map[string]bool{}
	}
	c.mustRead[key] = true
}

// current returns the latest copy of an Application this controller knows:
// what it last wrote, unless the informer has it or a later write; the
// informer's copy otherwise; read from the API server after a conflict.
// Callers may not modify it.
func (c *Controller) current(ctx context.Context, namespace, name string) (*v1alpha1.Application, error) {
	key := namespace + "/" + name
	c.mu.Lock()
	known, mustRead := c.written[key], c.mustRead[key]
	c.mu.Unlock()
	if mustRead {
		read, err := c.client.CapstanV1alpha1().Applications(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			// Read once: the copy read is the latest until a later one.
			c.wrote(read)
		}
		return read, err
	}
	cached, err := c.lister.Applications(namespace).Get(name)
	if known != nil && (apierrors.IsNotFound(err) || err == nil && newerThan(known, cached)) {
		return known, nil
	}
	return cached, err
}
