package compare

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/project"
)

// orphanedResourceWarnings reports, when the project sets orphanedResources
// with warn (the default), the top-level objects of the destination namespace
// that no Application manages, as Argo CD's "Application has N orphaned
// resources" condition. Without orphanedResources nothing is read, and no
// namespace is watched.
func (c *Comparer) orphanedResourceWarnings(ctx context.Context, destination *cluster.Cluster, app *v1alpha1.Application, opts Options,
	targets, live map[cluster.ResourceKey]*unstructured.Unstructured) ([]v1alpha1.ApplicationCondition, error) {
	namespace := app.Spec.Destination.Namespace
	if opts.Project == nil || !warnsOrphans(opts.Project.Spec.OrphanedResources) || namespace == "" {
		return nil, nil
	}
	objects, err := destination.NamespaceObjects.TopLevel(ctx, namespace)
	if err != nil {
		return nil, fmt.Errorf("orphaned resources: %w", err)
	}
	orphans := orphanedResources(objects, app, opts, targets, live)
	if len(orphans) == 0 {
		return nil, nil
	}
	return []v1alpha1.ApplicationCondition{{
		Type:    v1alpha1.ApplicationConditionOrphanedResourceWarning,
		Message: fmt.Sprintf("Application has %d orphaned resources", len(orphans)),
	}}, nil
}

// warnsOrphans is Argo CD's OrphanedResourcesMonitorSettings.IsWarn: set, and
// warn not turned off.
func warnsOrphans(settings *v1alpha1.OrphanedResourcesMonitorSettings) bool {
	return settings != nil && (settings.Warn == nil || *settings.Warn)
}

// orphanedResources returns the keys of the namespace's top-level objects that
// are neither managed by app nor tracked to an existing Application, that
// the project permits, and that Argo CD does not exclude by default or by the
// project's orphanedResources.ignore.
func orphanedResources(objects []cluster.NamespacedObject, app *v1alpha1.Application, opts Options,
	targets, live map[cluster.ResourceKey]*unstructured.Unstructured) []cluster.ResourceKey {
	instance := cluster.AppInstance(app.Namespace, app.Name)
	var out []cluster.ResourceKey
	for _, object := range objects {
		key := object.Key
		if _, managed := targets[key]; managed {
			continue
		}
		if _, managed := live[key]; managed {
			continue
		}
		if key.Namespace == "" || !project.ResourcePermitted(opts.Project.Spec, key.Group, key.Kind, key.Name, true) || knownOrphanExclusion(key, opts.Project.Spec.OrphanedResources) {
			continue
		}
		// Hooks of app, and objects of other Applications, are managed.
		if owner, tracked := trackedInstance(object.Object, key); tracked &&
			(owner == instance || opts.ApplicationExists == nil || opts.ApplicationExists(owner)) {
			continue
		}
		out = append(out, key)
	}
	return out
}

// trackedInstance returns the Application instance an object's tracking id
// names, when the id was written for this very object.
func trackedInstance(obj *metav1.PartialObjectMetadata, key cluster.ResourceKey) (string, bool) {
	tracking, ok := cluster.ParseTrackingID(obj.Annotations[cluster.TrackingAnnotation])
	if !ok || tracking.Key != key {
		return "", false
	}
	return tracking.AppInstance, true
}

// knownOrphanExclusion is Argo CD's isKnownOrphanedResourceExclusion: objects
// every namespace gets from Kubernetes, and the project's ignore entries
// (group, kind and name globs; an empty kind or name matches all).
func knownOrphanExclusion(key cluster.ResourceKey, settings *v1alpha1.OrphanedResourcesMonitorSettings) bool {
	switch {
	case key.Namespace == "default" && key.Group == "" && key.Kind == "Service" && key.Name == "kubernetes":
		return true
	case key.Group == "" && key.Kind == "ServiceAccount" && key.Name == "default":
		return true
	case key.Group == "" && key.Kind == "ConfigMap" && key.Name == "kube-root-ca.crt":
		return true
	}
	for _, item := range settings.Ignore {
		if (item.Kind == "" || project.GlobMatch(item.Kind, key.Kind)) && project.GlobMatch(item.Group, key.Group) &&
			(item.Name == "" || project.GlobMatch(item.Name, key.Name)) {
			return true
		}
	}
	return false
}
