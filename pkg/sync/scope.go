package sync

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/cluster"
)

// scope is what the cluster (or the sync itself) says about a kind.
type scope struct {
	namespaced bool
	// missing is true when the cluster does not serve the kind.
	missing bool
	// crdInSync is true when the kind's CRD is one of the targets.
	crdInSync bool
	// err is the lookup error of a missing kind.
	err error
}

// scopes looks kinds up once per plan, and knows the scope of kinds whose CRD
// is part of the sync before the cluster does.
type scopes struct {
	isNamespaced func(schema.GroupVersionKind) (bool, error)
	crds         map[schema.GroupKind]bool
	known        map[schema.GroupVersionKind]scope
}

func newScopes(isNamespaced func(schema.GroupVersionKind) (bool, error), targets []*unstructured.Unstructured) *scopes {
	return &scopes{
		isNamespaced: isNamespaced,
		crds:         cluster.DefinedKinds(targets),
		known:        map[schema.GroupVersionKind]scope{},
	}
}

// of returns the scope of obj's kind. A kind the cluster does not serve is not
// an error here: the task is marked, and refused unless the sync may create it.
func (s *scopes) of(obj *unstructured.Unstructured) (scope, error) {
	gvk := obj.GroupVersionKind()
	found, ok := s.known[gvk]
	if !ok {
		namespaced, err := s.isNamespaced(gvk)
		switch {
		case err == nil:
			found = scope{namespaced: namespaced}
		case meta.IsNoMatchError(err):
			// Without a CRD in the sync to tell, assume namespaced, as
			// Argo CD gives every object the destination namespace.
			found = scope{namespaced: true, missing: true, err: err}
			if namespaced, inSync := s.crds[gvk.GroupKind()]; inSync {
				found.namespaced, found.crdInSync = namespaced, true
			}
		default:
			return scope{}, fmt.Errorf("look up kind %s of %s: %w", gvk, obj.GetName(), err)
		}
		s.known[gvk] = found
	}
	return found, nil
}
