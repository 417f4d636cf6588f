package sync

import (
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// KindOrder is Argo CD's kind order (derived from Helm's install order). Within
// a phase and wave, listed kinds are applied in this order, before every kind
// that is not listed.
var KindOrder = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
	"StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
	"ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList",
	"Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

// kindRank gives every listed kind index-len(KindOrder), a negative number, so
// that unlisted kinds (rank 0) sort after all of them.
var kindRank = func() map[string]int {
	ranks := make(map[string]int, len(KindOrder))
	for i, kind := range KindOrder {
		ranks[kind] = i - len(KindOrder)
	}
	return ranks
}()

// phaseOrder orders the sync phases.
var phaseOrder = map[v1alpha1.SyncPhase]int{
	v1alpha1.SyncPhasePreSync:  -1,
	v1alpha1.SyncPhaseSync:     0,
	v1alpha1.SyncPhasePostSync: 1,
	v1alpha1.SyncPhaseSyncFail: 2,
}

// taskLess is Argo CD's order: phase, wave, kind, name. The namespace, group
// and kind name only break the ties Argo CD leaves to chance, so that a plan
// is the same every time it is computed.
func taskLess(a, b *Task) bool {
	if pa, pb := phaseOrder[a.Phase], phaseOrder[b.Phase]; pa != pb {
		return pa < pb
	}
	if a.Wave != b.Wave {
		return a.Wave < b.Wave
	}
	if ra, rb := kindRank[a.key.Kind], kindRank[b.key.Kind]; ra != rb {
		return ra < rb
	}
	if a.key.Name != b.key.Name {
		return a.key.Name < b.key.Name
	}
	if a.key.Namespace != b.key.Namespace {
		return a.key.Namespace < b.key.Namespace
	}
	if a.key.Kind != b.key.Kind {
		return a.key.Kind < b.key.Kind
	}
	return a.key.Group < b.key.Group
}

// sortTasks orders tasks, then moves each Namespace before the first task in
// it and each CRD before the first of its custom resources, as Argo CD does.
func sortTasks(tasks []*Task) {
	sort.SliceStable(tasks, func(i, j int) bool { return taskLess(tasks[i], tasks[j]) })
	bubbleDependencies(tasks, namespaceProvided, namespaceUsed)
	bubbleDependencies(tasks, crdProvided, crdUsed)
}

// bubbleDependencies moves every task that provides something (a namespace, a
// kind) right before the first task that uses it, giving it that task's phase
// and wave, so that it is applied first.
func bubbleDependencies(tasks []*Task, provides, uses func(*unstructured.Unstructured) (string, bool)) {
	firstUser := map[string]int{}
	for i, task := range tasks {
		if task.Target == nil {
			continue
		}
		if dependency, ok := provides(task.Target); ok {
			index, used := firstUser[dependency]
			if !used {
				continue
			}
			user := tasks[index]
			task.Phase, task.Wave = user.Phase, user.Wave
			copy(tasks[index+1:i+1], tasks[index:i])
			tasks[index] = task
			for key, first := range firstUser {
				if first >= index {
					firstUser[key] = first + 1
				}
			}
			continue
		}
		if dependency, ok := uses(task.Target); ok {
			if _, seen := firstUser[dependency]; !seen {
				firstUser[dependency] = i
			}
		}
	}
}

func namespaceProvided(obj *unstructured.Unstructured) (string, bool) {
	gvk := obj.GroupVersionKind()
	return obj.GetName(), gvk.Group == "" && gvk.Kind == kindNamespace
}

func namespaceUsed(obj *unstructured.Unstructured) (string, bool) {
	return obj.GetNamespace(), obj.GetNamespace() != ""
}

func crdProvided(obj *unstructured.Unstructured) (string, bool) {
	if !isCRD(obj) {
		return "", false
	}
	group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
	return group + "/" + kind, kind != ""
}

func crdUsed(obj *unstructured.Unstructured) (string, bool) {
	gvk := obj.GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind, true
}

// mirrorPruneWaves swaps the distinct waves of prune tasks end for end, so
// that what was created last is pruned first.
func mirrorPruneWaves(tasks []*Task) {
	var waves []int
	for _, task := range tasks {
		if task.Prune && !slices.Contains(waves, task.Wave) {
			waves = append(waves, task.Wave)
		}
	}
	slices.Sort(waves)
	mirrored := make(map[int]int, len(waves))
	for i, wave := range waves {
		mirrored[wave] = waves[len(waves)-1-i]
	}
	for _, task := range tasks {
		if task.Prune {
			task.Wave = mirrored[task.Wave]
		}
	}
}

// movePruneLast puts PruneLast prunes in a wave after every Sync-phase wave.
func movePruneLast(tasks []*Task) {
	last := 0
	for _, task := range tasks {
		if task.Phase == v1alpha1.SyncPhaseSync && task.Wave > last {
			last = task.Wave
		}
	}
	for _, task := range tasks {
		if task.Prune && task.Options.PruneLast {
			task.Wave = last + 1
		}
	}
}

// multiStep reports whether tasks span more than one phase or wave: only then
// does a sync wait for resources to become healthy.
func multiStep(tasks []*Task) bool {
	if len(tasks) == 0 {
		return false
	}
	first, last := tasks[0], tasks[len(tasks)-1]
	return first.Phase != last.Phase || first.Wave != last.Wave
}
