// Package inspect holds what a caller of the diff and manifests subresources
// asks for and may see: the request between the API server's registry and the
// engine that answers it, in a leaf package so that neither imports the other.
package inspect

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Options are what the diff and manifests subresources ask for, and
// what their caller may see.
type Options struct {
	// Revision renders this revision instead of the target revision.
	Revision string
	// Hard bypasses the caches of resolved revisions and rendered manifests.
	Hard bool
	// Manifests, when not nil, are compared instead of the rendered target
	// state: objects the caller rendered (`kubectl capstan diff --local`).
	Manifests []*unstructured.Unstructured
	// Project is the Application's AppProject; its rules are enforced as a
	// sync would. ProjectMissing fails the request as it fails a comparison.
	Project        *v1alpha1.AppProject
	ProjectMissing bool
	// MayRead tells whether the caller may get objects of a resource in a
	// namespace of the in-cluster destination (a SubjectAccessReview); a live
	// object the caller may not read is not shown, nor its diff. Nil shows
	// everything. For other clusters, where the caller has no identity, the
	// project's rules and the right to the subresource are the gate.
	MayRead func(ctx context.Context, resource schema.GroupVersionResource, namespace string) (bool, error)
	// MayList tells, as MayRead, whether the caller may list objects of a
	// resource in a namespace of the in-cluster destination (every namespace
	// when empty): the resource tree leaves out the kinds the caller may not
	// list. Nil shows everything.
	MayList func(ctx context.Context, resource schema.GroupVersionResource, namespace string) (bool, error)
}
