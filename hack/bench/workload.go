package main

import (
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// Workload W: apps Applications of objects objects each, in three flavours
// (plain YAML, Helm chart, Kustomize), every one in a directory of its own in
// one repository. All three render to the same objects, so the floor applies
// exactly what Capstan applies (minus its tracking label and annotation).
//
// Every app's first object is the ConfigMap the drift and commit scenarios
// change; the second is the only Deployment (one pod per app, made Available
// by kwok); the others cycle through Service (headless: the local plane has a
// /24 service range), Secret, ServiceAccount, Role, RoleBinding, then
// ConfigMap, Secret and Service again.

const (
	// appNamespace holds the Applications.
	appNamespace = "capstan-bench"
	// targetConfigMap is the object drift and commit change in every app.
	targetConfigMap = "configmap-0"
	// driftLabel marks targetConfigMap, for the drift scenario's informer.
	driftLabel = "bench.capstan.dev/drift"
	// appLabel names the app an object belongs to.
	appLabel = "bench.capstan.dev/app"
)

// flavour is how an app's manifests are written in Git.
type flavour string

const (
	flavourPlain     flavour = "plain"
	flavourHelm      flavour = "helm"
	flavourKustomize flavour = "kustomize"
)

// app is one Application of the workload.
type app struct {
	Index   int
	Name    string
	Flavour flavour
}

// Path is the app's directory in the repository.
func (a app) Path() string { return "apps/" + a.Name }

// Namespace is where Capstan deploys the app.
func (a app) Namespace() string { return "bench-" + a.Name }

// FloorNamespace is where the floor client applies the same objects.
func (a app) FloorNamespace() string { return "floor-" + a.Name }

func workloadApps(n int) []app {
	flavours := []flavour{flavourPlain, flavourHelm, flavourKustomize}
	apps := make([]app, n)
	for i := range apps {
		apps[i] = app{Index: i, Name: fmt.Sprintf("app-%04d", i), Flavour: flavours[i%3]}
	}
	return apps
}

// objectKinds is the cycle of kinds after the ConfigMap and the Deployment.
var objectKinds = []string{"Service", "Secret", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret", "Service"}

// gvrs maps the workload's kinds to their resources.
var gvrs = map[string]schema.GroupVersionResource{
	"ConfigMap":      {Version: "v1", Resource: "configmaps"},
	"Secret":         {Version: "v1", Resource: "secrets"},
	"Service":        {Version: "v1", Resource: "services"},
	"ServiceAccount": {Version: "v1", Resource: "serviceaccounts"},
	"Deployment":     {Group: "apps", Version: "v1", Resource: "deployments"},
	"Role":           {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	"RoleBinding":    {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
}

// objects returns the app's objects as rendered, with generation in the
// target ConfigMap; namespace is where they go (RoleBinding subjects name it).
func (a app) objects(count, generation int, namespace string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, count)
	out = append(out, targetObject(a, generation), deployment(a))
	for i := 2; i < count; i++ {
		kind := objectKinds[(i-2)%len(objectKinds)]
		out = append(out, workloadObject(a, kind, fmt.Sprintf("%s-%d", strings.ToLower(kind), i), namespace))
	}
	return out
}

func metadata(a app, name string, extraLabels map[string]any) map[string]any {
	labels := map[string]any{appLabel: a.Name}
	for key, value := range extraLabels {
		labels[key] = value
	}
	return map[string]any{"name": name, "labels": labels}
}

// targetObject is the ConfigMap drift patches and commits change.
func targetObject(a app, generation int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": metadata(a, targetConfigMap, map[string]any{driftLabel: "true"}),
		"data":     map[string]any{"generation": fmt.Sprint(generation), "drift": "original"},
	}}
}

func deployment(a app) *unstructured.Unstructured {
	selector := map[string]any{"app": a.Name}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": metadata(a, "deployment-1", nil),
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": selector},
			"template": map[string]any{
				"metadata": map[string]any{"labels": selector},
				"spec": map[string]any{
					"terminationGracePeriodSeconds": int64(0),
					"containers": []any{map[string]any{
						"name": "app", "image": "registry.k8s.io/pause:3.10",
					}},
				},
			},
		},
	}}
}

func workloadObject(a app, kind, name, namespace string) *unstructured.Unstructured {
	obj := map[string]any{"metadata": metadata(a, name, nil)}
	switch kind {
	case "ConfigMap":
		obj["apiVersion"] = "v1"
		obj["data"] = map[string]any{"app": a.Name, "settings": strings.Repeat("x", 256)}
	case "Secret":
		obj["apiVersion"] = "v1"
		obj["type"] = "Opaque"
		obj["stringData"] = map[string]any{"password": "bench-" + a.Name}
	case "Service":
		obj["apiVersion"] = "v1"
		obj["spec"] = map[string]any{
			"clusterIP": "None",
			"selector":  map[string]any{"app": a.Name},
			"ports":     []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}},
		}
	case "ServiceAccount":
		obj["apiVersion"] = "v1"
	case "Role":
		obj["apiVersion"] = "rbac.authorization.k8s.io/v1"
		obj["rules"] = []any{map[string]any{
			"apiGroups": []any{""}, "resources": []any{"configmaps"}, "verbs": []any{"get", "list", "watch"},
		}}
	case "RoleBinding":
		obj["apiVersion"] = "rbac.authorization.k8s.io/v1"
		obj["roleRef"] = map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "role-5"}
		obj["subjects"] = []any{map[string]any{"kind": "ServiceAccount", "name": "serviceaccount-4", "namespace": namespace}}
	}
	obj["kind"] = kind
	return &unstructured.Unstructured{Object: obj}
}

// files returns the app's files in the repository, path → content.
func (a app) files(count, generation int) (map[string]string, error) {
	objects := a.objects(count, generation, a.Namespace())
	files := map[string]string{}
	var names []string
	for i, obj := range objects {
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%02d-%s.yaml", i, obj.GetName())
		names = append(names, name)
		switch a.Flavour {
		case flavourHelm:
			files[path.Join(a.Path(), "templates", name)] = string(data)
		default:
			files[path.Join(a.Path(), name)] = string(data)
		}
	}
	switch a.Flavour {
	case flavourHelm:
		// The chart takes the target ConfigMap's generation from its values,
		// so that a commit changes values.yaml only.
		first := path.Join(a.Path(), "templates", names[0])
		files[first] = strings.Replace(files[first], fmt.Sprintf("generation: %q", fmt.Sprint(generation)),
			"generation: {{ .Values.generation | quote }}", 1)
		files[path.Join(a.Path(), "Chart.yaml")] = fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 0.1.0\n", a.Name)
		files[path.Join(a.Path(), "values.yaml")] = fmt.Sprintf("generation: %q\n", fmt.Sprint(generation))
	case flavourKustomize:
		files[path.Join(a.Path(), "kustomization.yaml")] = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " +
			strings.Join(names, "\n- ") + "\n"
	}
	return files, nil
}

// changedFiles is what a commit bumping the app to generation writes.
func (a app) changedFiles(count, generation int) (map[string]string, error) {
	all, err := a.files(count, generation)
	if err != nil {
		return nil, err
	}
	changed := map[string]string{}
	for name, content := range all {
		if a.Flavour == flavourHelm && strings.HasSuffix(name, "/values.yaml") ||
			a.Flavour != flavourHelm && strings.Contains(name, "/00-") {
			changed[name] = content
		}
	}
	return changed, nil
}
