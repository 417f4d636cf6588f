package main

import (
	"fmt"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// parseResource reads GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME, the form of
// `argocd app sync --resource`; GROUP is empty for the core group.
func parseResource(value string) (v1alpha1.SyncOperationResource, error) {
	parts := strings.Split(value, ":")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return v1alpha1.SyncOperationResource{}, fmt.Errorf(
			"--resource %q: want GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME", value)
	}
	resource := v1alpha1.SyncOperationResource{Group: parts[0], Kind: parts[1], Name: parts[2]}
	if namespace, name, ok := strings.Cut(parts[2], "/"); ok {
		if namespace == "" || name == "" {
			return v1alpha1.SyncOperationResource{}, fmt.Errorf(
				"--resource %q: want GROUP:KIND:NAMESPACE/NAME with both parts set", value)
		}
		resource.Namespace, resource.Name = namespace, name
	}
	return resource, nil
}
