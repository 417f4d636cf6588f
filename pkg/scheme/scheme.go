// Package scheme holds the runtime.Scheme of capstan-apiserver and its codecs:
// a leaf package, so that registry tests and clients need not import the
// server to encode and decode Capstan's kinds.
package scheme

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"capstan.dev/capstan/pkg/apis/capstan/install"
	"capstan.dev/capstan/pkg/codec"
)

var (
	// Scheme knows every kind capstan-apiserver serves, internal and versioned.
	Scheme = runtime.NewScheme()
	// Codecs encodes and decodes the kinds of Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
	// FastCodecs are Codecs' serializers with JSON and YAML decoders that
	// find a document's kind without decoding it twice (pkg/codec): the
	// server's requests and storage.
	FastCodecs = codec.NewCodecs(Scheme, Codecs.SupportedMediaTypes())
	// ParameterCodec decodes query parameters into option kinds such as ApplicationDiffOptions.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

func init() {
	install.Install(Scheme)

	// The unversioned meta kinds every API server answers with.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	Scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
}
