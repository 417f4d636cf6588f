package codec

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/recognizer"
	"k8s.io/apimachinery/pkg/runtime/serializer/versioning"
)

// Codecs are the serializers of a scheme's codec factory
// (serializer.NewCodecFactory with its defaults: no strict decoding by
// default, pretty printing available, lists not streamed) with JSON and
// YAML serializers that find a document's kind with MetaFactory. Encoding is
// the same as theirs, and so are the serializers' identifiers (the watch
// cache keys encodings by them).
type Codecs struct {
	scheme *runtime.Scheme
	infos  []runtime.SerializerInfo
}

// NewCodecs returns the Codecs of scheme, whose codec factory supports the
// media types of infos (its SupportedMediaTypes).
func NewCodecs(scheme *runtime.Scheme, infos []runtime.SerializerInfo) *Codecs {
	c := &Codecs{scheme: scheme}
	for _, info := range infos {
		switch info.MediaType {
		case runtime.ContentTypeJSON:
			info = withMetaFactory(info, scheme, scheme, scheme, scheme)
		case runtime.ContentTypeYAML:
			info.Serializer = json.NewSerializerWithOptions(MetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true})
			info.StrictSerializer = json.NewSerializerWithOptions(MetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
		}
		c.infos = append(c.infos, info)
	}
	return c
}

// withMetaFactory returns info, a JSON media type, with the serializers it
// has built anew with MetaFactory and the same options: objects created and
// typed by creater and typer, watch frames by streamCreater and streamTyper.
func withMetaFactory(info runtime.SerializerInfo, creater runtime.ObjectCreater, typer runtime.ObjectTyper,
	streamCreater runtime.ObjectCreater, streamTyper runtime.ObjectTyper) runtime.SerializerInfo {
	serializer := func(options json.SerializerOptions) *json.Serializer {
		return json.NewSerializerWithOptions(MetaFactory, creater, typer, options)
	}
	info.Serializer = serializer(json.SerializerOptions{})
	if info.StrictSerializer != nil {
		info.StrictSerializer = serializer(json.SerializerOptions{Strict: true})
	}
	if info.PrettySerializer != nil {
		info.PrettySerializer = serializer(json.SerializerOptions{Pretty: true})
	}
	if info.StreamSerializer != nil {
		stream := *info.StreamSerializer
		stream.Serializer = json.NewSerializerWithOptions(MetaFactory, streamCreater, streamTyper, json.SerializerOptions{})
		info.StreamSerializer = &stream
	}
	return info
}

// SupportedMediaTypes returns the media types and their serializers.
func (c *Codecs) SupportedMediaTypes() []runtime.SerializerInfo {
	return c.infos
}

// Negotiated returns ns with these serializers: ns encodes and decodes to
// versions (EncoderForVersion, DecoderToVersion) with the ones a request
// negotiates among them.
func (c *Codecs) Negotiated(ns runtime.NegotiatedSerializer) runtime.NegotiatedSerializer {
	return negotiated{NegotiatedSerializer: ns, infos: c.infos}
}

type negotiated struct {
	runtime.NegotiatedSerializer
	infos []runtime.SerializerInfo
}

func (n negotiated) SupportedMediaTypes() []runtime.SerializerInfo {
	return n.infos
}

// LegacyCodec is serializer.CodecFactory's LegacyCodec with these
// serializers: it encodes to version in JSON and decodes any of the media
// types (the storage codec).
func (c *Codecs) LegacyCodec(version ...schema.GroupVersion) runtime.Codec {
	decoders := make([]runtime.Decoder, 0, len(c.infos))
	var legacy runtime.Serializer
	for _, info := range c.infos {
		decoders = append(decoders, info.Serializer)
		if info.MediaType == runtime.ContentTypeJSON && legacy == nil {
			legacy = info.Serializer
		}
	}
	if legacy == nil {
		legacy = c.infos[0].Serializer
	}
	return versioning.NewDefaultingCodecForScheme(c.scheme, legacy, recognizer.NewDecoder(decoders...),
		schema.GroupVersions(version), runtime.InternalGroupVersioner)
}
