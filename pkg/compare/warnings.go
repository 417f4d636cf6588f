package compare

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// repeatedResourceWarnings reports the keys that appear more than once among
// the target objects, with Argo CD's message. As in Argo CD the last
// occurrence is the one compared and synced.
func repeatedResourceWarnings(counts map[cluster.ResourceKey]int) []v1alpha1.ApplicationCondition {
	var keys []cluster.ResourceKey
	for key, count := range counts {
		if count > 1 {
			keys = append(keys, key)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	out := make([]v1alpha1.ApplicationCondition, 0, len(keys))
	for _, key := range keys {
		out = append(out, v1alpha1.ApplicationCondition{
			Type:    v1alpha1.ApplicationConditionRepeatedResourceWarning,
			Message: fmt.Sprintf("Resource %s appeared %d times among application resources.", key, counts[key]),
		})
	}
	return out
}

// sharedResourceWarnings reports the live objects of app that another
// Application's tracking id claims, with Argo CD's message
// "<Kind>/<name> is part of applications <app> and <other>", both named
// "<namespace>/<name>".
func sharedResourceWarnings(app *v1alpha1.Application, live map[cluster.ResourceKey]*unstructured.Unstructured) []v1alpha1.ApplicationCondition {
	instance := cluster.AppInstance(app.Namespace, app.Name)
	// Only the shared objects, seldom any, are sorted.
	shared := map[cluster.ResourceKey]*unstructured.Unstructured{}
	trackings := map[cluster.ResourceKey]cluster.Tracking{}
	for key, obj := range live {
		if tracking, ok := cluster.TrackingOf(obj); ok && tracking.AppInstance != instance {
			shared[key], trackings[key] = obj, tracking
		}
	}
	if len(shared) == 0 {
		return nil
	}
	var out []v1alpha1.ApplicationCondition
	for _, key := range sortedKeys(shared) {
		obj, tracking := shared[key], trackings[key]
		out = append(out, v1alpha1.ApplicationCondition{
			Type: v1alpha1.ApplicationConditionSharedResourceWarning,
			Message: fmt.Sprintf("%s/%s is part of applications %s/%s and %s", obj.GetKind(), obj.GetName(),
				app.Namespace, app.Name, qualifiedName(tracking.AppInstance)),
		})
	}
	return out
}

// qualifiedName turns an instance "<namespace>_<name>" into "<namespace>/<name>";
// namespaces cannot contain "_", so the first one separates the two.
func qualifiedName(instance string) string {
	return strings.Replace(instance, "_", "/", 1)
}
