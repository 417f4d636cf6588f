package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"dario.cat/mergo"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Application renders tmpl with params into an Application: every string of
// its metadata and spec, and every map key, is rendered, as Argo CD's
// renderer does. The result has no namespace defaulting, finalizers or owner:
// those are the caller's.
func (r *Renderer) Application(tmpl v1alpha1.ApplicationSetTemplate, params map[string]any) (*v1alpha1.Application, error) {
	document := struct {
		Metadata v1alpha1.ApplicationSetTemplateMeta `json:"metadata"`
		Spec     v1alpha1.ApplicationSpec            `json:"spec"`
	}{tmpl.Metadata, tmpl.Spec}
	var app v1alpha1.Application
	if err := r.renderInto(document, params, &app); err != nil {
		return nil, err
	}
	return &app, nil
}

// Value renders every string and map key of value, a document decoded from
// JSON (maps, slices, strings, numbers, booleans); other values are kept.
func (r *Renderer) Value(value any, params map[string]any) (any, error) {
	switch v := value.(type) {
	case string:
		return r.Replace(v, params)
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, item := range v {
			renderedKey, err := r.Replace(key, params)
			if err != nil {
				return nil, err
			}
			renderedItem, err := r.Value(item, params)
			if err != nil {
				return nil, err
			}
			out[renderedKey] = renderedItem
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			rendered, err := r.Value(item, params)
			if err != nil {
				return nil, err
			}
			out[i] = rendered
		}
		return out, nil
	default:
		return value, nil
	}
}

// Object renders every string of in (any JSON-serializable value, such as a
// generator) with params and decodes the result into out.
func (r *Renderer) Object(in any, params map[string]any, out any) error {
	return r.renderInto(in, params, out)
}

func (r *Renderer) renderInto(in any, params map[string]any, out any) error {
	document, err := toDocument(in)
	if err != nil {
		return err
	}
	rendered, err := r.Value(document, params)
	if err != nil {
		return err
	}
	data, err := json.Marshal(rendered)
	if err != nil {
		return fmt.Errorf("encode the rendered template: %w", err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the rendered template is not valid: %w", err)
	}
	return nil
}

// toDocument turns a value into decoded JSON, keeping numbers exact.
func toDocument(in any) (any, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode the template: %w", err)
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var document any
	if err := decoder.Decode(&document); err != nil {
		return nil, fmt.Errorf("decode the template: %w", err)
	}
	return document, nil
}

// Patch renders templatePatch with params and merges the resulting YAML or
// JSON over app as a strategic merge patch, as Argo CD's templatePatch does.
// The patch may not change the project.
func (r *Renderer) Patch(app *v1alpha1.Application, templatePatch string, params map[string]any) (*v1alpha1.Application, error) {
	rendered, err := r.Replace(templatePatch, params)
	if err != nil {
		return nil, fmt.Errorf("templatePatch: %w", err)
	}
	patch := []byte(rendered)
	if trimmed := strings.TrimSpace(rendered); !strings.HasPrefix(trimmed, "{") {
		if patch, err = yaml.YAMLToJSON([]byte(rendered)); err != nil {
			return nil, fmt.Errorf("templatePatch is not YAML or JSON: %w", err)
		}
	}
	if err := json.Unmarshal(patch, &v1alpha1.Application{}); err != nil {
		return nil, fmt.Errorf("templatePatch does not render to an Application: %w", err)
	}
	original, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	merged, err := strategicpatch.StrategicMergePatch(original, patch, v1alpha1.Application{})
	if err != nil {
		return nil, fmt.Errorf("apply templatePatch: %w", err)
	}
	patched := &v1alpha1.Application{}
	if err := json.Unmarshal(merged, patched); err != nil {
		return nil, fmt.Errorf("apply templatePatch: %w", err)
	}
	// As in Argo CD, a patch cannot move an Application to another project.
	patched.Spec.Project = app.Spec.Project
	return patched, nil
}

// Merge returns the template of a generator: the fields it sets, and the
// ApplicationSet's template for every field it leaves empty (Argo CD's
// per-generator template override).
func Merge(generator, base v1alpha1.ApplicationSetTemplate) (v1alpha1.ApplicationSetTemplate, error) {
	merged := generator.DeepCopy()
	if err := mergo.Merge(merged, base.DeepCopy()); err != nil {
		return v1alpha1.ApplicationSetTemplate{}, fmt.Errorf("merge the generator's template with the ApplicationSet's: %w", err)
	}
	return *merged, nil
}
