package codec

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	jsonserializer "k8s.io/apimachinery/pkg/runtime/serializer/json"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// agrees checks MetaFactory against json.DefaultMetaFactory on data: the
// same kind or the same error for every valid JSON document. An invalid one
// the default refuses MetaFactory may read (it leaves the syntax of the
// values it skips to the decoding that follows) or refuse for another
// reason (an apiVersion it found).
func agrees(t testing.TB, data []byte) {
	t.Helper()
	want, wantErr := jsonserializer.DefaultMetaFactory.Interpret(data)
	got, gotErr := MetaFactory.Interpret(data)
	same := (wantErr == nil) == (gotErr == nil) &&
		(wantErr == nil || wantErr.Error() == gotErr.Error()) &&
		(want == nil) == (got == nil) && (want == nil || *want == *got)
	if same {
		return
	}
	if !json.Valid(data) && wantErr != nil {
		return
	}
	t.Fatalf("Interpret(%q) = %v, %v; json.DefaultMetaFactory: %v, %v", data, got, gotErr, want, wantErr)
}

var metaCases = []string{
	`{"apiVersion":"capstan.dev/v1alpha1","kind":"Application","metadata":{"name":"a"}}`,
	`{"kind":"Pod","apiVersion":"v1"}`,
	`  {"apiVersion" : "apps/v1" ,` + "\n\t\r" + `"kind":"Deployment" }  `,
	`{}`, ` { } `, `{"metadata":{"kind":"Secret","apiVersion":"v9"}}`,
	`{"items":[{"kind":"X"},["kind","Y"],"}",{"a":"\"kind\":\"Z\""}],"kind":"List","apiVersion":"v1"}`,
	`{"Kind":"Pod","APIVERSION":"v1"}`, `{"kInD":"Pod"}`,
	`{"kind":"A","kind":"B"}`, `{"kind":"A","Kind":"B"}`, `{"kind":"A","kind":null}`, `{"kind":null}`,
	`{"apiVersion":"a/b/c","kind":"X"}`, `{"apiVersion":"/v1"}`, `{"apiVersion":""}`,
	`{"kind":1}`, `{"kind":true}`, `{"kind":{}}`, `{"kind":[]}`, `{"apiVersion":1.5}`,
	`{"kind":"P\u006fd"}`, `{"k\u0069nd":"Pod"}`, `{"kind":"Pöd"}`, `{"ki\u212And":"Pod"}`, "{\"\u212aind\":\"Pod\"}",
	`{"kind":"a\"b"}`, `{"kind":"a\\b"}`, "{\"kind\":\"a\tb\"}",
	`{"a":1,"b":-2.5e10,"c":true,"d":false,"e":null,"kind":"K"}`,
	`{"a":"\\","kind":"K"}`, `{"a":"\\\"","kind":"K"}`,
	`null`, ` null `, `[]`, `[{"kind":"Pod"}]`, `"kind"`, `1`, `true`, ``, ` `, `{`, `}`,
	`{"kind":"Pod"`, `{"kind":"Pod",}`, `{"kind":"Pod"}}`, `{"kind":"Pod"} x`, `{"kind":"Pod"}{}`, `{"kind" "Pod"}`,
	`{"kind":"Pod" "x":1}`, `{kind:"Pod"}`, `{"kind":nul}`, `{"kind":nullx}`, `{"kind":"Pod`, `{"a":[1,2,}`,
	`{"a":tru,"kind":"K"}`, `{"a":[}],"kind":"K"}`, `{"a":"` + "\x01" + `","kind":"K"}`, "\ufeff{\"kind\":\"K\"}",
	`{"a":{"b":{"c":[[[[{"d":"]"}]]]]}},"kind":"Deep"}`, `{"":1,"kind":"K"}`, `{"kind":"K","":{}}`,
}

func TestMetaFactoryAgreesWithTheDefault(t *testing.T) {
	for _, data := range metaCases {
		agrees(t, []byte(data))
	}
}

// The kind of documents as the server and the controllers read them: an
// Application as stored, a List of them.
func TestMetaFactoryReadsApplications(t *testing.T) {
	app := &v1alpha1.Application{TypeMeta: metav1.TypeMeta{APIVersion: "capstan.dev/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd", Labels: map[string]string{"kind": "x"},
			Annotations: map[string]string{"apiVersion": "v0"}},
		Spec: v1alpha1.ApplicationSpec{Project: "default", Source: &v1alpha1.ApplicationSource{RepoURL: "https://example.com/repo.git", Path: "guestbook"}}}
	data, err := json.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	gvk, err := MetaFactory.Interpret(data)
	if err != nil || *gvk != (schema.GroupVersionKind{Group: "capstan.dev", Version: "v1alpha1", Kind: "Application"}) {
		t.Fatalf("Interpret = %v, %v", gvk, err)
	}
	agrees(t, data)
	list, err := json.Marshal(&v1alpha1.ApplicationList{TypeMeta: metav1.TypeMeta{APIVersion: "capstan.dev/v1alpha1", Kind: "ApplicationList"},
		Items: []v1alpha1.Application{*app, *app}})
	if err != nil {
		t.Fatal(err)
	}
	agrees(t, list)
	pretty, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	agrees(t, pretty)
}

func FuzzMetaFactory(f *testing.F) {
	for _, data := range metaCases {
		f.Add([]byte(data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		agrees(t, data)
	})
}

// BenchmarkInterpret finds the kind of an Application of the size a cold
// sync writes (about 6 KiB of status) with json.DefaultMetaFactory (the
// reference) and with MetaFactory.
func BenchmarkInterpret(b *testing.B) {
	app := &v1alpha1.Application{TypeMeta: metav1.TypeMeta{APIVersion: "capstan.dev/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: "app-1", Namespace: "bench"}}
	for i := range 48 {
		app.Status.Resources = append(app.Status.Resources, v1alpha1.ResourceStatus{Kind: "ConfigMap", Version: "v1",
			Namespace: "bench-1", Name: strings.Repeat("x", 20) + string(rune('a'+i)), Status: "Synced"})
	}
	data, err := json.Marshal(app)
	if err != nil {
		b.Fatal(err)
	}
	var reference float64
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for range b.N {
			if _, err := jsonserializer.DefaultMetaFactory.Interpret(data); err != nil {
				b.Fatal(err)
			}
		}
		reference = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("top level", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for range b.N {
			if _, err := MetaFactory.Interpret(data); err != nil {
				b.Fatal(err)
			}
		}
		if perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N); reference > 0 && perOp > 0 {
			b.ReportMetric(reference/perOp, "x-faster-than-reference")
		}
	})
}
