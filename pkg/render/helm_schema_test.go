package render

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// schemaChart is a chart whose values.schema.json is schema and whose values
// set name to "guestbook".
func schemaChart(schema string) fstest.MapFS {
	return fstest.MapFS{
		"app/Chart.yaml":         {Data: []byte("apiVersion: v2\nname: app\nversion: 0.1.0\n")},
		"app/values.yaml":        {Data: []byte("name: guestbook\n")},
		"app/values.schema.json": {Data: []byte(schema)},
		"app/templates/cm.yaml":  {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n")},
	}
}

// recordingServer is a loopback HTTP server that counts requests and answers
// every one with a schema that would reject the chart's values.
func recordingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"type": "string", "enum": ["served-by-http"]}`))
	}))
	t.Cleanup(server.Close)
	return server, &requests
}

func TestHelmSchemaReferences(t *testing.T) {
	server, requests := recordingServer(t)
	marker := "MARKER-7d1f0c-from-the-server-disk"
	secretFile := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secretFile, []byte(`{"type": "string", "enum": ["`+marker+`"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		schema string
		want   []string
	}{
		{
			name:   "a $ref to a loopback HTTP URL sends no request and names the ref",
			schema: `{"type": "object", "properties": {"name": {"$ref": "` + server.URL + `/x"}}}`,
			want:   []string{server.URL + "/x", `chart "app"`},
		},
		{
			name:   "a $schema on a loopback HTTP URL sends no request",
			schema: `{"$schema": "` + server.URL + `/meta", "type": "object"}`,
			want:   []string{server.URL + "/meta", `chart "app"`},
		},
		{
			name:   "a $ref to a file of the server's disk is not read",
			schema: `{"type": "object", "properties": {"name": {"$ref": "file://` + secretFile + `"}}}`,
			want:   []string{"file://" + secretFile, `chart "app"`},
		},
		{
			name:   "a relative $ref is not resolved against the server's disk",
			schema: `{"type": "object", "properties": {"name": {"$ref": "` + strings.TrimPrefix(secretFile, "/") + `"}}}`,
			want:   []string{secretFile, `chart "app"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := requests.Load()
			_, err := renderMap(t, schemaChart(tt.schema), v1alpha1.ApplicationSource{Path: "app"}, Options{})
			if got := requests.Load() - before; got != 0 {
				t.Errorf("the render sent %d requests to the loopback server", got)
			}
			if err == nil {
				t.Fatal("expected the external schema reference to fail the render")
			}
			if !errors.Is(err, ErrExternalSchema) {
				t.Errorf("error %q is not ErrExternalSchema", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), "served-by-http") {
				t.Errorf("error %q shows content of the referenced schema", err)
			}
		})
	}
}

func TestHelmSubchartSchemaReference(t *testing.T) {
	server, requests := recordingServer(t)
	fsys := schemaChart(`{"type": "object"}`)
	fsys["app/charts/sub/Chart.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")}
	fsys["app/charts/sub/values.schema.json"] = &fstest.MapFile{Data: []byte(`{"$ref": "` + server.URL + `/sub"}`)}
	_, err := renderMap(t, fsys, v1alpha1.ApplicationSource{Path: "app"}, Options{})
	if requests.Load() != 0 {
		t.Errorf("the render sent %d requests to the loopback server", requests.Load())
	}
	if !errors.Is(err, ErrExternalSchema) || !strings.Contains(err.Error(), `chart "app/charts/sub"`) {
		t.Errorf("error %v does not name the subchart's external schema reference", err)
	}
}

func TestHelmSchemaValidation(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		helm   *v1alpha1.ApplicationSourceHelm
		is     error
		want   string
	}{
		{
			name:   "references inside the schema resolve",
			schema: `{"type": "object", "properties": {"name": {"$ref": "#/$defs/name"}}, "$defs": {"name": {"type": "string", "minLength": 3}}}`,
		},
		{
			name:   "values that break an internal reference fail with the chart named",
			schema: `{"type": "object", "properties": {"name": {"$ref": "#/$defs/name"}}, "$defs": {"name": {"type": "integer"}}}`,
			want:   "values don't meet the specifications of the schema(s) in the following chart(s):\napp:",
		},
		{
			name:   "a urn reference is permissive, as in Helm, and loads nothing",
			schema: `{"type": "object", "properties": {"name": {"$ref": "urn:example:name"}}}`,
		},
		{
			name:   "a draft 7 metaschema is known without loading it",
			schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["name"]}`,
		},
		{
			name:   "skipSchemaValidation skips a schema with external references",
			schema: `{"type": "object", "properties": {"name": {"$ref": "https://schemas.example.com/name.json"}}}`,
			helm:   &v1alpha1.ApplicationSourceHelm{SkipSchemaValidation: true},
		},
		{
			name:   "a schema larger than the limit is refused before it is parsed",
			schema: `{"type": "object", "description": "` + strings.Repeat("x", maxSchemaBytes) + `"}`,
			is:     ErrTooLarge,
			want:   "values.schema.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := renderMap(t, schemaChart(tt.schema), v1alpha1.ApplicationSource{Path: "app", Helm: tt.helm}, Options{})
			if tt.want == "" && tt.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := names(result.Objects); len(got) != 1 || got[0] != "ConfigMap/guestbook" {
					t.Errorf("rendered %v", got)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
