package codec_test

import (
	"encoding/json"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/scheme"
)

// The media types, their order and every serializer's identifier (the
// watch cache keys encodings by it) are the codec factory's; only JSON and
// YAML decoders are new, protobuf's are the factory's own.
func TestCodecsKeepTheFactorysMediaTypes(t *testing.T) {
	want := scheme.Codecs.SupportedMediaTypes()
	got := scheme.FastCodecs.SupportedMediaTypes()
	if len(got) != len(want) {
		t.Fatalf("%d media types, want %d", len(got), len(want))
	}
	id := func(s any) string {
		if s == nil {
			return "<none>"
		}
		return string(s.(runtime.Encoder).Identifier())
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.MediaType != w.MediaType || g.EncodesAsText != w.EncodesAsText || g.MediaTypeType != w.MediaTypeType || g.MediaTypeSubType != w.MediaTypeSubType {
			t.Fatalf("media type %d: %+v, want %+v", i, g, w)
		}
		for name, pair := range map[string][2]any{
			"serializer":        {nilIfNil(w.Serializer), nilIfNil(g.Serializer)},
			"pretty serializer": {nilIfNil(w.PrettySerializer), nilIfNil(g.PrettySerializer)},
			"strict serializer": {nilIfNil(w.StrictSerializer), nilIfNil(g.StrictSerializer)},
		} {
			if id(pair[0]) != id(pair[1]) {
				t.Errorf("%s %s: identifier %s, want %s", w.MediaType, name, id(pair[1]), id(pair[0]))
			}
		}
		if (w.StreamSerializer == nil) != (g.StreamSerializer == nil) {
			t.Fatalf("%s: stream serializer %v, want %v", w.MediaType, g.StreamSerializer, w.StreamSerializer)
		}
		if w.StreamSerializer != nil && (id(w.StreamSerializer.Serializer) != id(g.StreamSerializer.Serializer) ||
			w.StreamSerializer.Framer != g.StreamSerializer.Framer || w.StreamSerializer.EncodesAsText != g.StreamSerializer.EncodesAsText) {
			t.Errorf("%s: stream serializer %+v, want %+v", w.MediaType, g.StreamSerializer, w.StreamSerializer)
		}
		if w.MediaType == runtime.ContentTypeProtobuf && g.Serializer != w.Serializer {
			t.Errorf("protobuf serializer replaced")
		}
	}
}

func nilIfNil(s runtime.Serializer) any {
	if s == nil {
		return nil
	}
	return s
}

// Decoding gives what the codec factory's decoding gives: the same object,
// or an error for the same documents, with the same message for valid JSON.
func TestCodecsDecodeAsTheFactory(t *testing.T) {
	app := &v1alpha1.Application{TypeMeta: metav1.TypeMeta{APIVersion: "capstan.dev/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd", ResourceVersion: "7"},
		Spec:       v1alpha1.ApplicationSpec{Project: "default", Source: &v1alpha1.ApplicationSource{RepoURL: "https://example.com/r.git", Path: "guestbook"}},
		Status:     v1alpha1.ApplicationStatus{Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced}}}
	data, err := json.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	documents := map[string]string{
		"an Application":            string(data),
		"an Application in YAML":    "apiVersion: capstan.dev/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  project: default\n",
		"kind in another case":      `{"Kind":"Application","APIVersion":"capstan.dev/v1alpha1","metadata":{"name":"a"}}`,
		"an AppProject":             `{"apiVersion":"capstan.dev/v1alpha1","kind":"AppProject","metadata":{"name":"p"}}`,
		"a list":                    `{"apiVersion":"capstan.dev/v1alpha1","kind":"ApplicationList","items":[` + string(data) + `]}`,
		"no kind":                   `{"apiVersion":"capstan.dev/v1alpha1","metadata":{"name":"a"}}`,
		"no apiVersion":             `{"kind":"Application","metadata":{"name":"a"}}`,
		"an unknown kind":           `{"apiVersion":"capstan.dev/v1alpha1","kind":"Nothing"}`,
		"an unknown version":        `{"apiVersion":"capstan.dev/v9","kind":"Application"}`,
		"a bad apiVersion":          `{"apiVersion":"a/b/c","kind":"Application"}`,
		"a kind of the wrong type":  `{"apiVersion":"capstan.dev/v1alpha1","kind":7}`,
		"a field of the wrong type": `{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","spec":{"project":7}}`,
		"an unknown field":          `{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","spec":{"nope":1}}`,
		"a duplicate field":         `{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","spec":{"project":"a","project":"b"}}`,
		"not an object":             `["Application"]`,
		"invalid JSON in a value":   `{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","spec":{"project":tru}}`,
		"cut short":                 `{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","spec":{`,
	}
	gv := v1alpha1.SchemeGroupVersion
	none := func() runtime.Object { return nil }
	decoders := []decoderPair{
		{"storage", scheme.Codecs.LegacyCodec(gv), scheme.FastCodecs.LegacyCodec(gv), none},
		{"storage into an Application", scheme.Codecs.LegacyCodec(gv), scheme.FastCodecs.LegacyCodec(gv), func() runtime.Object { return &v1alpha1.Application{} }},
	}
	negotiated := scheme.FastCodecs.Negotiated(scheme.Codecs)
	for i, info := range scheme.Codecs.SupportedMediaTypes() {
		fast := negotiated.SupportedMediaTypes()[i]
		if info.MediaType == runtime.ContentTypeProtobuf {
			continue
		}
		decoders = append(decoders,
			decoderPair{info.MediaType, scheme.Codecs.DecoderToVersion(info.Serializer, gv), negotiated.DecoderToVersion(fast.Serializer, gv), none},
			decoderPair{info.MediaType + " strict", info.StrictSerializer, fast.StrictSerializer, none})
	}
	for _, d := range decoders {
		for name, doc := range documents {
			want, wantGVK, wantErr := d.want.Decode([]byte(doc), nil, d.into())
			got, gotGVK, gotErr := d.got.Decode([]byte(doc), nil, d.into())
			if (wantErr == nil) != (gotErr == nil) {
				t.Errorf("%s, %s: error %v, want %v", d.name, name, gotErr, wantErr)
				continue
			}
			if wantErr != nil && wantErr.Error() != gotErr.Error() && json.Valid([]byte(doc)) {
				t.Errorf("%s, %s: error %q, want %q", d.name, name, gotErr, wantErr)
			}
			if !apiequality.Semantic.DeepEqual(want, got) {
				t.Errorf("%s, %s: decoded %#v, want %#v", d.name, name, got, want)
			}
			if wantErr == nil && (wantGVK == nil) != (gotGVK == nil) || wantGVK != nil && gotGVK != nil && *wantGVK != *gotGVK && wantErr == nil {
				t.Errorf("%s, %s: kind %v, want %v", d.name, name, gotGVK, wantGVK)
			}
		}
	}
	if len(decoders) != 6 {
		t.Fatalf("compared %d decoders, want 6 (storage twice, JSON and YAML with and without strict decoding)", len(decoders))
	}
}

// decoderPair is a decoder of the codec factory and the same of Codecs.
type decoderPair struct {
	name      string
	want, got runtime.Decoder
	into      func() runtime.Object
}

// BenchmarkDecodeApplication decodes a stored Application of the size a
// cold sync writes with the codec factory's storage codec (the reference)
// and with FastCodecs'.
func BenchmarkDecodeApplication(b *testing.B) {
	app := &v1alpha1.Application{TypeMeta: metav1.TypeMeta{APIVersion: "capstan.dev/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: "app-1", Namespace: "bench", ResourceVersion: "12"},
		Spec:       v1alpha1.ApplicationSpec{Project: "default", Source: &v1alpha1.ApplicationSource{RepoURL: "http://127.0.0.1/bench.git", Path: "apps/app-1"}}}
	for i := range 48 {
		app.Status.Resources = append(app.Status.Resources, v1alpha1.ResourceStatus{Kind: "ConfigMap", Version: "v1",
			Namespace: "bench-1", Name: "object-" + string(rune('a'+i%26)), Status: v1alpha1.SyncStatusCodeSynced})
	}
	data, err := json.Marshal(app)
	if err != nil {
		b.Fatal(err)
	}
	gv := v1alpha1.SchemeGroupVersion
	var reference float64
	for i, c := range []struct {
		name  string
		codec runtime.Decoder
	}{{"codec factory", scheme.Codecs.LegacyCodec(gv)}, {"fast codecs", scheme.FastCodecs.LegacyCodec(gv)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for range b.N {
				if _, _, err := c.codec.Decode(data, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if i == 0 {
				reference = perOp
			} else if reference > 0 && perOp > 0 {
				b.ReportMetric(reference/perOp, "x-faster-than-reference")
			}
		})
	}
}
