package codec

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// NewDynamicClient returns the client dynamic.NewForConfig returns, whose
// JSON decoders find a document's kind with MetaFactory: the decoders of
// unstructured objects (every watch event of the managed objects' informers,
// every apply's answer) and of watch frames. Everything else (media types,
// encoding, CBOR when client-go's feature gates allow it) is dynamic's own.
func NewDynamicClient(in *rest.Config) (*dynamic.DynamicClient, error) {
	config := dynamic.ConfigFor(in)
	config.NegotiatedSerializer = negotiated{NegotiatedSerializer: config.NegotiatedSerializer,
		infos: unstructuredMediaTypes(config.NegotiatedSerializer.SupportedMediaTypes())}
	httpClient, err := rest.HTTPClientFor(config)
	if err != nil {
		return nil, err
	}
	// What dynamic.NewForConfigAndClient does with its configuration.
	config.GroupVersion = nil
	config.APIPath = "/if-you-see-this-search-for-the-break"
	client, err := rest.UnversionedRESTClientForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	return dynamic.New(client), nil
}

// unstructuredScheme knows the kinds of the meta group version v1 (watch
// events, Status, lists' options), as dynamic's own.
var unstructuredScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}()

// unstructuredMediaTypes returns infos, dynamic's media types, with JSON
// serializers built as dynamic builds them but with MetaFactory.
func unstructuredMediaTypes(infos []runtime.SerializerInfo) []runtime.SerializerInfo {
	out := make([]runtime.SerializerInfo, 0, len(infos))
	for _, info := range infos {
		if info.MediaType == runtime.ContentTypeJSON {
			info = withMetaFactory(info, unstructuredCreater{unstructuredScheme}, unstructuredTyper{unstructuredScheme},
				unstructuredScheme, unstructuredScheme)
		}
		out = append(out, info)
	}
	return out
}

// unstructuredCreater creates the kinds its scheme knows, and Unstructured
// objects of every other kind (as dynamic's).
type unstructuredCreater struct {
	nested runtime.ObjectCreater
}

func (c unstructuredCreater) New(kind schema.GroupVersionKind) (runtime.Object, error) {
	out, err := c.nested.New(kind)
	if err == nil {
		return out, nil
	}
	out = &unstructured.Unstructured{}
	out.GetObjectKind().SetGroupVersionKind(kind)
	return out, nil
}

// unstructuredTyper types the kinds its scheme knows, and Unstructured
// objects by the kind they hold (as dynamic's).
type unstructuredTyper struct {
	nested runtime.ObjectTyper
}

func (t unstructuredTyper) ObjectKinds(obj runtime.Object) ([]schema.GroupVersionKind, bool, error) {
	kinds, unversioned, err := t.nested.ObjectKinds(obj)
	if err == nil {
		return kinds, unversioned, nil
	}
	if _, ok := obj.(runtime.Unstructured); ok && !obj.GetObjectKind().GroupVersionKind().Empty() {
		return []schema.GroupVersionKind{obj.GetObjectKind().GroupVersionKind()}, false, nil
	}
	return nil, false, err
}

func (t unstructuredTyper) Recognizes(schema.GroupVersionKind) bool {
	return true
}
