package application

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/install"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// FuzzSubresourceBodies decodes arbitrary bodies of the POST subresources
// other than sync (diff with a candidate Application or an
// ApplicationDiffRequest, rollback, actions, terminate) as the API server
// does and checks them as their handlers do before touching any state:
//   - nothing panics;
//   - every validation error names a field, and an accepted diff request
//     yields one complete object per manifest;
//   - every accepted body round-trips: encoding what was decoded, decoding
//     that and encoding again gives the same bytes.
func FuzzSubresourceBodies(f *testing.F) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	decoder := codecs.UniversalDecoder(capstan.SchemeGroupVersion)
	encoder := codecs.LegacyCodec(v1alpha1.SchemeGroupVersion)
	const header = `"apiVersion":"capstan.dev/v1alpha1","kind":`
	for _, seed := range []string{
		`{` + header + `"ApplicationRollbackRequest","metadata":{"name":"a"},"id":3,"prune":true,"dryRun":true}`,
		`{` + header + `"ApplicationRollbackRequest","id":-9223372036854775808}`,
		`{` + header + `"ApplicationTerminateRequest","metadata":{"name":"a"}}`,
		`{` + header + `"ApplicationActionRequest","resource":{"group":"apps","kind":"Deployment","namespace":"n","name":"d"},"action":"restart","params":[{"name":"x","value":"1"}]}`,
		`{` + header + `"ApplicationActionRequest","resource":{},"action":""}`,
		`{` + header + `"ApplicationDiffRequest","manifests":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}]}`,
		`{` + header + `"ApplicationDiffRequest","manifests":[{},null,1,"x",[{"kind":"List"}]]}`,
		`{` + header + `"Application","metadata":{"name":"a"},"spec":{"project":"default","source":{"repoURL":"https://example.com/r.git","path":"p","helm":{"valuesObject":{"a":[1,{"b":null}]}}},"destination":{"server":"https://kubernetes.default.svc","namespace":"n"}}}`,
		`{` + header + `"Application","spec":{"sources":[{"repoURL":"","ref":"$x"}],"destination":{}}}`,
		`{` + header + `"Application","spec":{"syncPolicy":{"automated":{"prune":true},"retry":{"limit":-1,"backoff":{"duration":"x"}}}}}`,
		`{"kind":"ApplicationRollbackRequest"}`, `[`, `null`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obj, _, err := decoder.Decode(body, nil, nil)
		if err != nil {
			return
		}
		var errs field.ErrorList
		switch req := obj.(type) {
		case *capstan.ApplicationDiffRequest:
			manifests, verrs := validation.ValidateDiffManifests(req.Manifests)
			errs = verrs
			if len(verrs) == 0 && len(manifests) != len(req.Manifests) {
				t.Fatalf("%d manifests given, %d accepted", len(req.Manifests), len(manifests))
			}
			for i, m := range manifests {
				if m.GetAPIVersion() == "" || m.GetKind() == "" || m.GetName() == "" && m.GetGenerateName() == "" {
					t.Fatalf("accepted manifest %d without apiVersion, kind or name: %v", i, m.Object)
				}
			}
		case *capstan.Application:
			app := req.DeepCopy()
			app.Name, app.Namespace = "fuzz", "default"
			errs = validation.ValidateApplication(app)
		case *capstan.ApplicationActionRequest:
			errs = validateActionRequest(req)
		case *capstan.ApplicationRollbackRequest, *capstan.ApplicationTerminateRequest:
		default:
			return // another kind: the handlers refuse it by its type
		}
		for _, e := range errs {
			if e.Field == "" || strings.HasSuffix(e.Field, ".") {
				t.Fatalf("validation error names no field: %v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		first, err := runtime.Encode(encoder, obj)
		if err != nil {
			t.Fatalf("encode an accepted %T: %v", obj, err)
		}
		again, _, err := decoder.Decode(first, nil, nil)
		if err != nil {
			t.Fatalf("decode what was encoded from an accepted %T: %v\n%s", obj, err, first)
		}
		second, err := runtime.Encode(encoder, again)
		if err != nil {
			t.Fatalf("encode again: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("%T does not round-trip:\n%s\n%s", obj, first, second)
		}
	})
}
