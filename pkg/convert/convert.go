// Package convert rewrites Argo CD manifests (argoproj.io/v1alpha1) as Capstan
// manifests (capstan.dev/v1alpha1).
package convert

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	argoAPIVersion    = "argoproj.io/v1alpha1"
	capstanAPIVersion = "capstan.dev/v1alpha1"
)

// convertedKinds are the Argo CD kinds Capstan serves.
var convertedKinds = map[string]bool{"Application": true, "ApplicationSet": true, "AppProject": true}

// Stats counts what Convert did.
type Stats struct {
	Converted int
	Unchanged int
}

// Convert reads a multi-document YAML or JSON stream and writes it as YAML
// documents separated by "---": Argo CD Applications, ApplicationSets and
// AppProjects get apiVersion capstan.dev/v1alpha1, and AppProjects lose their
// namespace because Capstan's AppProject is cluster-scoped. Other documents are
// written unchanged. source names the input in errors.
func Convert(in io.Reader, out io.Writer, source string) (Stats, error) {
	var stats Stats
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	first := true
	for index := 0; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return stats, nil
		}
		if err != nil {
			return stats, fmt.Errorf("%s: document %d: %w", source, index+1, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		jsonDoc, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return stats, fmt.Errorf("%s: document %d: %w", source, index+1, err)
		}
		obj := &unstructured.Unstructured{}
		// util/json decodes integers as int64: float64 would change those beyond 2^53.
		if err := utiljson.Unmarshal(jsonDoc, &obj.Object); err != nil {
			return stats, fmt.Errorf("%s: document %d: %w", source, index+1, err)
		}
		if obj.Object == nil {
			continue
		}
		if Object(obj) {
			stats.Converted++
		} else {
			stats.Unchanged++
		}
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return stats, fmt.Errorf("%s: document %d: %w", source, index+1, err)
		}
		if !first {
			if _, err := io.WriteString(out, "---\n"); err != nil {
				return stats, err
			}
		}
		first = false
		if _, err := out.Write(data); err != nil {
			return stats, err
		}
	}
}

// Object rewrites obj in place as its Capstan equivalent and reports whether
// it was an Argo CD kind: Applications, ApplicationSets and AppProjects of
// argoproj.io/v1alpha1 get apiVersion capstan.dev/v1alpha1, and AppProjects
// lose their namespace. Lists (kind: List) are converted item by item.
func Object(obj *unstructured.Unstructured) bool {
	if obj.IsList() {
		converted := false
		_ = obj.EachListItem(func(item runtime.Object) error {
			if u, ok := item.(*unstructured.Unstructured); ok && Object(u) {
				converted = true
			}
			return nil
		})
		return converted
	}
	if obj.GetAPIVersion() != argoAPIVersion || !convertedKinds[obj.GetKind()] {
		return false
	}
	obj.SetAPIVersion(capstanAPIVersion)
	if obj.GetKind() == "AppProject" {
		unstructured.RemoveNestedField(obj.Object, "metadata", "namespace")
	}
	return true
}
