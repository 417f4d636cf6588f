package apiserver

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// withoutProtobuf hides the protobuf serializer: capstan.dev kinds have no
// protobuf encoding, so clients that prefer protobuf (kube-controller-manager's
// garbage collector and namespace controller) are answered in JSON, their
// fallback, instead of with an error.
type withoutProtobuf struct {
	runtime.NegotiatedSerializer
}

// SupportedMediaTypes returns every media type of the wrapped serializer but protobuf.
func (s withoutProtobuf) SupportedMediaTypes() []runtime.SerializerInfo {
	all := s.NegotiatedSerializer.SupportedMediaTypes()
	out := make([]runtime.SerializerInfo, 0, len(all))
	for _, info := range all {
		if info.MediaType == runtime.ContentTypeProtobuf {
			continue
		}
		out = append(out, info)
	}
	return out
}
