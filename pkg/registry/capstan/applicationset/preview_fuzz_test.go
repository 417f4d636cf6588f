package applicationset

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/install"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// FuzzPreviewBody decodes arbitrary bodies of POST applicationsets/preview
// as the API server does and checks them as the handler does before
// generating anything: nothing panics, every validation error names a field,
// and a candidate the validation accepts converts to the version the
// generators read (a failure there would answer 500 instead of 422).
func FuzzPreviewBody(f *testing.F) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	decoder := serializer.NewCodecFactory(scheme).UniversalDecoder(capstan.SchemeGroupVersion)
	const header = `{"apiVersion":"capstan.dev/v1alpha1","kind":"ApplicationSet","metadata":{"name":"s"},`
	for _, seed := range []string{
		header + `"spec":{"generators":[{"list":{"elements":[{"env":"dev"},{"env":"prod"}]}}],"template":{"metadata":{"name":"{{env}}"},"spec":{"project":"default","source":{"repoURL":"https://example.com/r.git","path":"{{env}}"},"destination":{"server":"https://kubernetes.default.svc","namespace":"{{env}}"}}}}}`,
		header + `"spec":{"goTemplate":true,"goTemplateOptions":["missingkey=error"],"generators":[{"matrix":{"generators":[{"git":{"repoURL":"https://example.com/r.git","revision":"main","directories":[{"path":"apps/*"}]}},{"clusters":{"selector":{"matchLabels":{"env":"prod"}}}}]}}],"template":{"metadata":{"name":"{{.path.basename}}-{{.name}}"},"spec":{"destination":{}}}}}`,
		header + `"spec":{"generators":[{"merge":{"mergeKeys":["a"],"generators":[]}}],"strategy":{"type":"RollingSync","rollingSync":{"steps":[{"matchExpressions":[{"key":"env","operator":"In","values":["dev"]}],"maxUpdate":"50%"}]}}}}`,
		header + `"spec":{"generators":[{"list":{"elementsYaml":"- a: [\n"}}],"templatePatch":"{{"}}`,
		header + `"spec":{"generators":[{"scmProvider":{"github":{"organization":"o"}}},{"pullRequest":{"gitlab":{"project":"1"}}},{"plugin":{"configMapRef":{"name":"p"}}}]}}`,
		header + `"spec":null}`, `[`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obj, _, err := decoder.Decode(body, nil, nil)
		if err != nil {
			return
		}
		candidate, ok := obj.(*capstan.ApplicationSet)
		if !ok {
			return // the handler refuses other kinds
		}
		candidate = candidate.DeepCopy()
		candidate.Name, candidate.Namespace = "s", "default"
		errs := validation.ValidateApplicationSet(candidate)
		for _, e := range errs {
			if e.Field == "" {
				t.Fatalf("validation error names no field: %v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		if err := scheme.Convert(candidate, &v1alpha1.ApplicationSet{}, nil); err != nil {
			t.Fatalf("an accepted candidate does not convert: %v", err)
		}
	})
}
