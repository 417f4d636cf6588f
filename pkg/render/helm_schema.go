package render

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v3/pkg/chart"
)

// maxSchemaBytes bounds a chart's values.schema.json. Hand-written and
// generated schemas of public charts are a few hundred KiB at most.
const maxSchemaBytes = 4 << 20

// helmSchemaURL is where Helm's chartutil.ValidateAgainstSingleSchema places
// a chart's schema; relative references resolve against it.
const helmSchemaURL = "file:///values.schema.json"

// checkSchemaReferences compiles the values.schema.json of c and of every
// chart below it the way Helm does, but with a loader that loads nothing: a
// $ref or $schema naming a file, a URL or any other document than the schema
// itself fails with ErrExternalSchema, naming the chart and the reference.
//
// Helm's own validation, which runs afterwards, uses loaders that read the
// server's disk (file:// and relative references, resolved against
// file:///values.schema.json, not against the chart) and send HTTP requests.
// A schema that compiles here loaded nothing, so Helm's compilation of the
// same document loads nothing either. Subcharts are checked whether or not
// their condition enables them.
func checkSchemaReferences(c *chart.Chart) error {
	if c.Schema != nil {
		if err := compileChartSchema(c); err != nil {
			return err
		}
	}
	for _, sub := range c.Dependencies() {
		if err := checkSchemaReferences(sub); err != nil {
			return err
		}
	}
	return nil
}

// compileChartSchema compiles the schema of c alone.
func compileChartSchema(c *chart.Chart) error {
	name := c.ChartFullPath()
	if len(c.Schema) > maxSchemaBytes {
		return fmt.Errorf("%w: chart %q: values.schema.json is %d bytes, more than the limit of %d", ErrTooLarge, name, len(c.Schema), maxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.Schema))
	if err != nil {
		return fmt.Errorf("chart %q: values.schema.json is not valid JSON: %w", name, err)
	}
	loader := &inChartSchemaLoader{}
	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(loader)
	if err := compiler.AddResource(helmSchemaURL, doc); err != nil {
		return fmt.Errorf("chart %q: values.schema.json: %w", name, err)
	}
	_, err = compiler.Compile(helmSchemaURL)
	if loader.refused != "" {
		return fmt.Errorf("chart %q: values.schema.json refers to %q: %w (only references within values.schema.json are resolved; helm.skipSchemaValidation renders without the schema)",
			name, loader.refused, ErrExternalSchema)
	}
	if err != nil {
		return fmt.Errorf("chart %q: values.schema.json: %w", name, err)
	}
	return nil
}

// inChartSchemaLoader is the jsonschema loader of a chart's schema: it loads
// nothing and remembers the first URL it was asked for. The JSON Schema
// metaschemas (json-schema.org drafts) are built into the library and never
// reach a loader. urn: references get Helm's answer for an unresolved URN, the
// permissive schema "true", which needs no I/O.
type inChartSchemaLoader struct {
	refused string
}

// Load refuses every URL but urn: ones.
func (l *inChartSchemaLoader) Load(location string) (any, error) {
	if u, err := url.Parse(location); err == nil && strings.EqualFold(u.Scheme, "urn") {
		return true, nil
	}
	if l.refused == "" {
		l.refused = location
	}
	return nil, ErrExternalSchema
}
