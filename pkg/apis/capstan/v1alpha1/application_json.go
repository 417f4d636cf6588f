package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The wire format is a concern of the served version only, so these methods live
// outside the *_types.go files that hack/internal-types mirrors into the internal
// package, which is never serialized.

// MarshalJSON writes a plugin parameter the way Argo CD does: name always, and a
// map or array that is present but empty as {} or [] rather than null, so that
// "present but empty" survives a round trip.
func (p ApplicationSourcePluginParameter) MarshalJSON() ([]byte, error) {
	out := map[string]any{"name": p.Name}
	if p.String != nil {
		out["string"] = *p.String
	}
	if p.OptionalMap != nil {
		values := p.Map
		if values == nil {
			values = map[string]string{}
		}
		out["map"] = values
	}
	if p.OptionalArray != nil {
		values := p.Array
		if values == nil {
			values = []string{}
		}
		out["array"] = values
	}
	return json.Marshal(out)
}

// kustomizeImageObject is the kustomization.yaml form of an image override,
// {name, newName, newTag, digest}, which users often write where Argo CD expects
// the string form.
type kustomizeImageObject struct {
	Name    string `json:"name"`
	NewName string `json:"newName"`
	NewTag  string `json:"newTag"`
	Digest  string `json:"digest"`
}

// UnmarshalJSON reads an image override in Argo CD's string form
// ([old=]name[:tag][@digest]) and, as a convenience, in the object form of
// kustomization.yaml, which it converts to the string form. Marshalling always
// writes the string form.
func (i *KustomizeImage) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return fmt.Errorf("kustomize image must be a string like name=newName:tag@digest or an object {name, newName, newTag, digest}: %w", err)
		}
		*i = KustomizeImage(s)
		return nil
	}
	var fields map[string]string
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return fmt.Errorf("kustomize image object must map name, newName, newTag and digest to strings: %w", err)
	}
	var unknown []string
	for key := range fields {
		switch key {
		case "name", "newName", "newTag", "digest":
		default:
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("kustomize image object has unknown fields %s; allowed are name, newName, newTag and digest", strings.Join(unknown, ", "))
	}
	obj := kustomizeImageObject{Name: fields["name"], NewName: fields["newName"], NewTag: fields["newTag"], Digest: fields["digest"]}
	if obj.Name == "" {
		return fmt.Errorf("kustomize image object needs a name")
	}
	*i = KustomizeImage(obj.String())
	return nil
}

// String renders the object form in Argo CD's string form.
func (o kustomizeImageObject) String() string {
	var b strings.Builder
	b.WriteString(o.Name)
	if o.NewName != "" {
		b.WriteString("=" + o.NewName)
	}
	if o.NewTag != "" {
		b.WriteString(":" + o.NewTag)
	}
	if o.Digest != "" {
		b.WriteString("@" + o.Digest)
	}
	return b.String()
}

// UnmarshalJSON reads a resource health object and, as a convenience, a bare
// health code such as "Healthy" (the shorthand some documentation shows), which
// becomes {status: Healthy}. Unknown fields in the object form are rejected.
func (h *HealthStatus) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if bytes.Equal(trimmed, []byte("null")) {
		return nil
	}
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var code string
		if err := json.Unmarshal(trimmed, &code); err != nil {
			return err
		}
		*h = HealthStatus{Status: HealthStatusCode(code)}
		return nil
	}
	type healthStatusFields HealthStatus
	decoder := json.NewDecoder(bytes.NewReader(trimmed))
	decoder.DisallowUnknownFields()
	var fields healthStatusFields
	if err := decoder.Decode(&fields); err != nil {
		return fmt.Errorf("health must be an object {status, message} or a health code: %w", err)
	}
	*h = HealthStatus(fields)
	return nil
}
