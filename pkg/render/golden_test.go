package render

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// goldenCases is testdata/cases.json: each case is a source with Argo CD
// options and, in testdata/golden, what `helm template` or `kustomize build`
// print for the same inputs (regenerate with
// `go run ./pkg/render/testdata/regen/main.go`).
type goldenCases struct {
	Revision             string       `json:"revision"`
	AppName              string       `json:"appName"`
	DestinationNamespace string       `json:"destinationNamespace"`
	Project              string       `json:"project"`
	KubeVersion          string       `json:"kubeVersion"`
	Cases                []goldenCase `json:"cases"`
}

type goldenCase struct {
	Name            string                     `json:"name"`
	Source          v1alpha1.ApplicationSource `json:"source"`
	KubeVersion     string                     `json:"kubeVersion"`
	APIVersions     []string                   `json:"apiVersions"`
	MultipleSources bool                       `json:"multipleSources"`
	Refs            map[string]string          `json:"refs"`
	HelmArgs        []string                   `json:"helmArgs"`
	KustomizeDir    string                     `json:"kustomizeDir"`
}

func loadGoldenCases(t testing.TB) goldenCases {
	t.Helper()
	data, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases goldenCases
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// request builds the render request of a golden case over testdata/repo.
func (cases goldenCases) request(c goldenCase) Request {
	req := Request{
		Source:               c.Source,
		Repo:                 os.DirFS("testdata/repo"),
		Revision:             cases.Revision,
		AppName:              cases.AppName,
		AppNamespace:         "argocd",
		DestinationNamespace: cases.DestinationNamespace,
		DestinationServer:    "https://kubernetes.default.svc",
		KubeVersion:          cases.KubeVersion,
		APIVersions:          c.APIVersions,
		Project:              cases.Project,
		MultipleSources:      c.MultipleSources,
	}
	if c.KubeVersion != "" {
		req.KubeVersion = c.KubeVersion
	}
	for ref, dir := range c.Refs {
		if req.RefSources == nil {
			req.RefSources = map[string]RefSource{}
		}
		req.RefSources[ref] = RefSource{RepoURL: "https://git.example.com/" + dir + ".git", Repo: os.DirFS(filepath.Join("testdata", dir)), Revision: "0123456789abcdef"}
	}
	return req
}

func readGolden(t testing.TB, name string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := splitYAML(data, name)
	if err != nil {
		t.Fatal(err)
	}
	objs, err = expandLists(objs)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// assertSameObjects compares rendered objects with expected ones, in order,
// and prints both as YAML on the first difference.
func assertSameObjects(t *testing.T, got, want []*unstructured.Unstructured) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("rendered %d objects, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if !reflect.DeepEqual(got[i].Object, want[i].Object) {
			g, _ := yaml.Marshal(got[i].Object)
			w, _ := yaml.Marshal(want[i].Object)
			t.Fatalf("object %d differs\n--- got:\n%s\n--- want:\n%s", i, g, w)
		}
	}
}

func TestRenderMatchesRealTools(t *testing.T) {
	cases := loadGoldenCases(t)
	renderer := NewRenderer(Options{})
	for _, c := range cases.Cases {
		t.Run(c.Name+" renders what the real tool prints", func(t *testing.T) {
			result, err := renderer.Render(context.Background(), cases.request(c))
			if err != nil {
				t.Fatal(err)
			}
			want := v1alpha1.ApplicationSourceTypeHelm
			if c.KustomizeDir != "" {
				want = v1alpha1.ApplicationSourceTypeKustomize
			}
			if result.SourceType != want {
				t.Errorf("source type %s, want %s", result.SourceType, want)
			}
			assertSameObjects(t, result.Objects, readGolden(t, c.Name))
		})
	}
}
