package cluster

import (
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// SchemaValidator checks objects against the cluster's OpenAPI schemas before
// they are applied, as `kubectl apply --dry-run=client --validate` does: one
// OpenAPI request per group-version, not one dry-run request per object.
// Unknown fields and wrong types are errors naming the field.
type SchemaValidator struct {
	client openapi.Client

	mu      sync.Mutex
	schemas map[schema.GroupVersion]*groupVersionSchema
}

// groupVersionSchema is the parsed OpenAPI document of one group-version.
type groupVersionSchema struct {
	converter managedfields.TypeConverter
	kinds     map[schema.GroupVersionKind]bool
}

// NewSchemaValidator validates with the OpenAPI v3 documents client serves.
func NewSchemaValidator(client openapi.Client) *SchemaValidator {
	return &SchemaValidator{client: client, schemas: map[schema.GroupVersion]*groupVersionSchema{}}
}

// ErrNoSchema reports a kind the cluster publishes no schema for: it cannot
// be validated here.
var ErrNoSchema = errors.New("the cluster publishes no schema for the kind")

// Validate checks obj against the schema of its kind. A kind or a field the
// cached schema does not know is checked again against a fresh schema (a CRD
// may have been installed or changed since) before it is reported.
func (v *SchemaValidator) Validate(obj *unstructured.Unstructured) error {
	if v == nil {
		return fmt.Errorf("%w: no validator", ErrNoSchema)
	}
	if err := v.validate(obj, false); err == nil {
		return nil
	}
	err := v.validate(obj, true)
	if err == nil || errors.Is(err, ErrNoSchema) {
		return err
	}
	return fmt.Errorf("%s %s does not match the cluster's schema: %w", obj.GetKind(), obj.GetName(), err)
}

func (v *SchemaValidator) validate(obj *unstructured.Unstructured, fresh bool) error {
	gvk := obj.GroupVersionKind()
	parsed, err := v.schema(gvk.GroupVersion(), fresh)
	if err != nil {
		return err
	}
	if !parsed.kinds[gvk] {
		return fmt.Errorf("%w: %s", ErrNoSchema, gvk)
	}
	_, err = parsed.converter.ObjectToTyped(obj)
	return err
}

// schema returns the parsed document of a group-version, fetching it when it
// is not cached or when fresh is asked.
func (v *SchemaValidator) schema(gv schema.GroupVersion, fresh bool) (*groupVersionSchema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if parsed, ok := v.schemas[gv]; ok && !fresh {
		return parsed, nil
	}
	document, err := openapi3.NewRoot(v.client).GVSpec(gv)
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI schema of %s: %w", gv, err)
	}
	if document.Components == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoSchema, gv)
	}
	converter, err := managedfields.NewTypeConverter(document.Components.Schemas, false)
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI schema of %s: %w", gv, err)
	}
	parsed := &groupVersionSchema{converter: converter, kinds: kindsOf(document.Components.Schemas)}
	v.schemas[gv] = parsed
	return parsed, nil
}

// kindsOf lists the kinds the schemas describe, from their
// x-kubernetes-group-version-kind extensions.
func kindsOf(schemas map[string]*spec.Schema) map[schema.GroupVersionKind]bool {
	kinds := map[schema.GroupVersionKind]bool{}
	for _, s := range schemas {
		entries, _ := s.Extensions["x-kubernetes-group-version-kind"].([]any)
		for _, entry := range entries {
			fields, _ := entry.(map[string]any)
			group, _ := fields["group"].(string)
			version, _ := fields["version"].(string)
			kind, _ := fields["kind"].(string)
			kinds[schema.GroupVersionKind{Group: group, Version: version, Kind: kind}] = true
		}
	}
	return kinds
}
