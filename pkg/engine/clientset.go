package engine

import (
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/codec"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	clientscheme "capstan.dev/capstan/pkg/generated/clientset/versioned/scheme"
)

// clientCodecs are the generated clientset's serializers with JSON decoders
// that find a document's kind without decoding it twice (pkg/codec).
var clientCodecs = codec.NewCodecs(clientscheme.Scheme, clientscheme.Codecs.SupportedMediaTypes())

// newClientset returns the clientset of config as clientset.NewForConfig
// does (the generated client's defaults), decoding with clientCodecs: the
// controllers' informers decode every write of an Application, and their
// writes the Application written.
func newClientset(c *rest.Config) (*clientset.Clientset, error) {
	config := rest.CopyConfig(c)
	gv := v1alpha1.SchemeGroupVersion
	config.GroupVersion = &gv
	config.APIPath = "/apis"
	config.NegotiatedSerializer = clientCodecs.Negotiated(clientscheme.Codecs.WithoutConversion())
	if config.UserAgent == "" {
		config.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	client, err := rest.RESTClientFor(config)
	if err != nil {
		return nil, err
	}
	return clientset.New(client), nil
}
