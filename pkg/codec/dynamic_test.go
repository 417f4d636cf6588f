package codec

import (
	"encoding/json"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// The dynamic client's decoders give what dynamic's own give, for objects,
// lists, watch frames and bad documents alike.
func TestDynamicDecodesAsDynamic(t *testing.T) {
	want := dynamic.ConfigFor(&rest.Config{}).NegotiatedSerializer.SupportedMediaTypes()
	got := unstructuredMediaTypes(want)
	if len(got) != len(want) {
		t.Fatalf("%d media types, want %d", len(got), len(want))
	}
	deployment := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n","labels":{"kind":"x"}},"spec":{"replicas":2}}`
	documents := map[string]string{
		"a Deployment":         deployment,
		"a ConfigMap":          `{"kind":"ConfigMap","apiVersion":"v1","data":{"apiVersion":"v9"}}`,
		"a list":               `{"apiVersion":"v1","kind":"List","items":[` + deployment + `]}`,
		"a Status":             `{"apiVersion":"v1","kind":"Status","status":"Failure","code":409,"reason":"Conflict"}`,
		"a watch frame":        `{"type":"MODIFIED","object":` + deployment + `}`,
		"a bookmark":           `{"type":"BOOKMARK","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"resourceVersion":"12"}}}`,
		"no kind":              `{"apiVersion":"v1","metadata":{"name":"a"}}`,
		"no apiVersion":        `{"kind":"Secret"}`,
		"a kind of wrong type": `{"apiVersion":"v1","kind":[]}`,
		"not an object":        `[1]`,
		"invalid JSON":         `{"apiVersion":"v1","kind":"Secret","data":{"a":tru}}`,
		"cut short":            `{"apiVersion":"v1","kind":"Secret","data":{`,
	}
	intos := map[string]func() runtime.Object{
		"nothing":         func() runtime.Object { return nil },
		"an Unstructured": func() runtime.Object { return &unstructured.Unstructured{} },
		"an object list":  func() runtime.Object { return &unstructured.UnstructuredList{} },
	}
	compared := 0
	for i := range want {
		if want[i].MediaType != runtime.ContentTypeJSON {
			if got[i].Serializer != want[i].Serializer {
				t.Errorf("%s replaced", want[i].MediaType)
			}
			continue
		}
		for decoder, pair := range map[string][2]runtime.Decoder{
			"serializer":        {want[i].Serializer, got[i].Serializer},
			"pretty serializer": {want[i].PrettySerializer, got[i].PrettySerializer},
			"stream serializer": {want[i].StreamSerializer.Serializer, got[i].StreamSerializer.Serializer},
		} {
			for name, doc := range documents {
				for intoName, into := range intos {
					w, wGVK, wErr := pair[0].Decode([]byte(doc), nil, into())
					g, gGVK, gErr := pair[1].Decode([]byte(doc), nil, into())
					compared++
					if (wErr == nil) != (gErr == nil) || wErr != nil && wErr.Error() != gErr.Error() && json.Valid([]byte(doc)) {
						t.Errorf("%s, %s into %s: error %v, want %v", decoder, name, intoName, gErr, wErr)
						continue
					}
					if !apiequality.Semantic.DeepEqual(w, g) || wErr == nil && (wGVK == nil) != (gGVK == nil) || wErr == nil && wGVK != nil && *wGVK != *gGVK {
						t.Errorf("%s, %s into %s: %#v (%v), want %#v (%v)", decoder, name, intoName, g, gGVK, w, wGVK)
					}
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("dynamic has no JSON media type")
	}
}
