package convert_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/convert"
)

func TestConvert(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		want      string
		wantStats convert.Stats
	}{
		{
			name: "an Application gets the capstan.dev apiVersion and keeps its namespace",
			input: `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
`,
			want: `apiVersion: capstan.dev/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
`,
			wantStats: convert.Stats{Converted: 1},
		},
		{
			name:      "an ApplicationSet gets the capstan.dev apiVersion",
			input:     "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: my-apps\n  namespace: argocd\n",
			want:      "apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: my-apps\n  namespace: argocd\n",
			wantStats: convert.Stats{Converted: 1},
		},
		{
			name:      "an AppProject gets the capstan.dev apiVersion and loses its namespace",
			input:     "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: production\n  namespace: argocd\n",
			want:      "apiVersion: capstan.dev/v1alpha1\nkind: AppProject\nmetadata:\n  name: production\n",
			wantStats: convert.Stats{Converted: 1},
		},
		{
			name:      "a ConfigMap is left unchanged",
			input:     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: argocd\ndata:\n  key: value\n",
			want:      "apiVersion: v1\ndata:\n  key: value\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: argocd\n",
			wantStats: convert.Stats{Unchanged: 1},
		},
		{
			name:      "an Argo kind that Capstan does not serve is left unchanged",
			input:     "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\n  namespace: argocd\n",
			want:      "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\n  namespace: argocd\n",
			wantStats: convert.Stats{Unchanged: 1},
		},
		{
			name:      "an Application of another group is left unchanged",
			input:     "apiVersion: app.k8s.io/v1beta1\nkind: Application\nmetadata:\n  name: web\n",
			want:      "apiVersion: app.k8s.io/v1beta1\nkind: Application\nmetadata:\n  name: web\n",
			wantStats: convert.Stats{Unchanged: 1},
		},
		{
			name: "a List converts its Argo CD items and leaves the others",
			input: `apiVersion: v1
kind: List
items:
- apiVersion: argoproj.io/v1alpha1
  kind: Application
  metadata: {name: guestbook, namespace: argocd}
- apiVersion: argoproj.io/v1alpha1
  kind: AppProject
  metadata: {name: production, namespace: argocd}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: app-config, namespace: argocd}
`,
			want: `apiVersion: v1
items:
- apiVersion: capstan.dev/v1alpha1
  kind: Application
  metadata:
    name: guestbook
    namespace: argocd
- apiVersion: capstan.dev/v1alpha1
  kind: AppProject
  metadata:
    name: production
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: app-config
    namespace: argocd
kind: List
`,
			wantStats: convert.Stats{Converted: 1},
		},
		{
			name:      "a List without Argo CD items is left unchanged",
			input:     "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: app-config}\n",
			want:      "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: app-config\nkind: List\n",
			wantStats: convert.Stats{Unchanged: 1},
		},
		{
			name: "documents are written separated by ---, without the empty ones",
			input: `---
---
# a document of comments only
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook}
---

---
apiVersion: v1
kind: Namespace
metadata: {name: guestbook}
---
`,
			want:      "apiVersion: capstan.dev/v1alpha1\nkind: Application\nmetadata:\n  name: guestbook\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: guestbook\n",
			wantStats: convert.Stats{Converted: 1, Unchanged: 1},
		},
		{
			name:      "JSON input is written as YAML",
			input:     `{"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "production", "namespace": "argocd"}, "spec": {"sourceRepos": ["*"]}}`,
			want:      "apiVersion: capstan.dev/v1alpha1\nkind: AppProject\nmetadata:\n  name: production\nspec:\n  sourceRepos:\n  - '*'\n",
			wantStats: convert.Stats{Converted: 1},
		},
		{
			name:      "integers keep every digit",
			input:     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: numbers}\nspec: {big: 9007199254740993, small: 3, ratio: 0.5}\n",
			want:      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: numbers\nspec:\n  big: 9007199254740993\n  ratio: 0.5\n  small: 3\n",
			wantStats: convert.Stats{Unchanged: 1},
		},
		{
			name:  "empty input writes nothing",
			input: "",
			want:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			stats, err := convert.Convert(strings.NewReader(tt.input), &out, "manifests.yaml")
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			if out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
			if stats != tt.wantStats {
				t.Errorf("stats = %+v, want %+v", stats, tt.wantStats)
			}
		})
	}
}

func TestConvertNamesTheSourceAndDocumentOfAnError(t *testing.T) {
	configMap := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\n"
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{name: "unbalanced brackets in the second document",
			input: configMap + "---\nkind: [Application\n", want: "manifests.yaml: document 2: "},
		{name: "a document that is a sequence, not an object",
			input: "- apiVersion: v1\n  kind: ConfigMap\n", want: "manifests.yaml: document 1: "},
		{name: "text after a document separator",
			input: configMap + "--- Application\n" + configMap, want: "manifests.yaml: document 1: "},
		{name: "malformed JSON",
			input: `{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"`, want: "manifests.yaml: document 1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := convert.Convert(strings.NewReader(tt.input), io.Discard, "manifests.yaml")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("convert: got %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

// TestConvertedSeedManifestsDecodeStrictly converts the manifests of the product
// brief and decodes every capstan.dev document strictly into its v1alpha1 type,
// so that no field of an Argo CD manifest is unknown to Capstan.
func TestConvertedSeedManifestsDecodeStrictly(t *testing.T) {
	input, err := os.ReadFile("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	stats, err := convert.Convert(bytes.NewReader(input), &out, "testdata/seed.yaml")
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	if want := (convert.Stats{Converted: 7, Unchanged: 3}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}

	inputs, outputs := documents(t, input), documents(t, out.Bytes())
	if len(outputs) != len(inputs) {
		t.Fatalf("converted %d documents into %d", len(inputs), len(outputs))
	}
	for i, doc := range outputs {
		var object struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &object); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		t.Run(object.Kind+" "+object.Metadata.Name, func(t *testing.T) {
			if object.APIVersion != v1alpha1.SchemeGroupVersion.String() {
				if !reflect.DeepEqual(decodeMap(t, doc), decodeMap(t, inputs[i])) {
					t.Errorf("a %s %s document changed:\n%s", object.APIVersion, object.Kind, doc)
				}
				return
			}
			var target any
			switch object.Kind {
			case "Application":
				target = &v1alpha1.Application{}
			case "ApplicationSet":
				target = &v1alpha1.ApplicationSet{}
			case "AppProject":
				target = &v1alpha1.AppProject{}
				if object.Metadata.Namespace != "" {
					t.Errorf("the AppProject kept namespace %q", object.Metadata.Namespace)
				}
			default:
				t.Fatalf("unexpected capstan.dev kind %q", object.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, target); err != nil {
				t.Errorf("strict decode: %v\n%s", err, doc)
			}
		})
	}
}

// documents splits a YAML stream into its non-empty documents.
func documents(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		if decodeMap(t, doc) != nil {
			docs = append(docs, doc)
		}
	}
}

// decodeMap decodes a YAML document into a map, nil for an empty document.
func decodeMap(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := yaml.Unmarshal(doc, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
