package sync

import (
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// namespaceTask is CreateNamespace=true's task: a PreSync Namespace for the
// destination namespace, carrying managedNamespaceMetadata. It is added when
// the namespace is missing, or exists and the metadata must be applied, and
// not when the namespace is itself a target. The namespace is not tracked, so
// it is never pruned.
func (p *planner) namespaceTask(tasks []*Task) *Task {
	name := p.in.DestinationNamespace
	if !p.options.CreateNamespace || name == "" {
		return nil
	}
	for _, task := range tasks {
		if provided, ok := namespaceProvided(task.Object()); ok && provided == name && !task.Prune {
			return nil
		}
	}
	metadata := p.in.ManagedNamespaceMetadata
	if p.in.LiveNamespace != nil && metadata == nil {
		return nil
	}
	namespace := &unstructured.Unstructured{}
	namespace.SetAPIVersion("v1")
	namespace.SetKind(kindNamespace)
	namespace.SetName(name)
	if metadata != nil {
		if len(metadata.Labels) > 0 {
			namespace.SetLabels(maps.Clone(metadata.Labels))
		}
		if len(metadata.Annotations) > 0 {
			namespace.SetAnnotations(maps.Clone(metadata.Annotations))
		}
	}
	return &Task{
		Phase:            v1alpha1.SyncPhasePreSync,
		Target:           namespace,
		Live:             p.in.LiveNamespace,
		Options:          ResourceOptions{Validate: true, ServerSideApply: true},
		CreatesNamespace: true,
		key:              cluster.KeyOf(namespace),
	}
}
