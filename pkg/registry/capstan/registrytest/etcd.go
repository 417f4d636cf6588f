// Package registrytest builds the storage options that the capstan.dev registry
// tests run NewStorage over: a real embedded etcd for storage tests, or no
// storage at all for tests that only print tables. It is imported by tests only.
package registrytest

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	etcd3testing "k8s.io/apiserver/pkg/storage/etcd3/testing"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/scheme"
)

// NewEtcdRESTOptions starts an embedded etcd that stops when the test ends and
// returns REST options that keep resource in it, encoded as capstan.dev/v1alpha1
// as capstan-apiserver stores it.
func NewEtcdRESTOptions(t *testing.T, resource string) generic.RESTOptions {
	t.Helper()
	_, config := etcd3testing.NewUnsecuredEtcd3TestClientServer(t)
	config.Codec = scheme.FastCodecs.LegacyCodec(v1alpha1.SchemeGroupVersion)
	gr := v1alpha1.Resource(resource)
	return generic.RESTOptions{
		StorageConfig:           config.ForResource(gr),
		Decorator:               generic.UndecoratedStorage,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          gr.Group + "/" + gr.Resource,
	}
}

// NewTableOnlyRESTOptions returns REST options without a storage backend. A store
// completed with them can print tables but not read or write objects.
func NewTableOnlyRESTOptions(resource string) generic.RESTOptions {
	gr := v1alpha1.Resource(resource)
	return generic.RESTOptions{
		StorageConfig:  (&storagebackend.Config{Codec: scheme.FastCodecs.LegacyCodec(v1alpha1.SchemeGroupVersion)}).ForResource(gr),
		Decorator:      noStorage,
		ResourcePrefix: gr.Group + "/" + gr.Resource,
	}
}

// noStorage is a generic.StorageDecorator that builds no storage.
func noStorage(*storagebackend.ConfigForResource, string, func(runtime.Object) (string, error),
	func() runtime.Object, func() runtime.Object, storage.AttrFunc, storage.IndexerFuncs, *cache.Indexers,
) (storage.Interface, factory.DestroyFunc, error) {
	return nil, func() {}, nil
}
