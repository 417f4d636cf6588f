package sync

import (
	"reflect"
	"testing"

	"capstan.dev/capstan/pkg/cluster"
)

// TestUnchangedObjectsJoinTheNextChange: groups of objects whose dry run
// changed nothing wait for the next group that changes something and run with
// it; nothing runs before a change that Argo CD's kind order puts ahead of it.
func TestUnchangedObjectsJoinTheNextChange(t *testing.T) {
	task := func(kind, name string) *Task {
		return &Task{key: cluster.ResourceKey{Kind: kind, Namespace: "default", Name: name}}
	}
	names := func(groups [][]*Task) [][]string {
		var out [][]string
		for _, group := range groups {
			var g []string
			for _, t := range group {
				g = append(g, t.key.Name)
			}
			out = append(out, g)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		tasks     []*Task
		unchanged []string
		dryRun    bool
		want      [][]string
	}{{
		name: "a self-heal of one object: the unchanged kinds before it run with it, those after it together",
		tasks: []*Task{task("ServiceAccount", "sa"), task("Secret", "secret"), task("ConfigMap", "drifted"),
			task("Role", "role"), task("RoleBinding", "binding"), task("Service", "svc"), task("Deployment", "web")},
		unchanged: []string{"sa", "secret", "role", "binding", "svc", "web"},
		want:      [][]string{{"sa", "secret", "drifted"}, {"role", "binding", "svc", "web"}},
	}, {
		name:      "an unchanged object never runs before a change of an earlier kind",
		tasks:     []*Task{task("CustomResourceDefinition", "crd"), task("Widget", "w"), task("Deployment", "web")},
		unchanged: []string{"w"},
		want:      [][]string{{"crd"}, {"w", "web"}},
	}, {
		name:      "a group with one change runs as it is, in its place",
		tasks:     []*Task{task("ConfigMap", "a"), task("ConfigMap", "b"), task("Deployment", "web")},
		unchanged: []string{"a"},
		want:      [][]string{{"a", "b"}, {"web"}},
	}, {
		name:      "nothing predicted: Argo CD's groups of consecutive kinds",
		tasks:     []*Task{task("ServiceAccount", "sa"), task("ConfigMap", "a"), task("ConfigMap", "b"), task("Deployment", "web")},
		unchanged: nil,
		want:      [][]string{{"sa"}, {"a", "b"}, {"web"}},
	}, {
		name:      "everything unchanged: one group",
		tasks:     []*Task{task("ServiceAccount", "sa"), task("ConfigMap", "a"), task("Deployment", "web")},
		unchanged: []string{"sa", "a", "web"},
		want:      [][]string{{"sa", "a", "web"}},
	}, {
		name:      "a dry run keeps the kind groups",
		tasks:     []*Task{task("ServiceAccount", "sa"), task("ConfigMap", "a"), task("Deployment", "web")},
		unchanged: []string{"sa", "web"},
		dryRun:    true,
		want:      [][]string{{"sa"}, {"a"}, {"web"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := &step{}
			for _, name := range tc.unchanged {
				for _, task := range tc.tasks {
					if task.key.Name == name {
						s.markUnchanged(task.key)
					}
				}
			}
			if got := names(s.applyGroups(tc.tasks, tc.dryRun)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("groups = %v, want %v", got, tc.want)
			}
		})
	}
}
