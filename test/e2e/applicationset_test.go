package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// ApplicationSets (issue 12): generators producing Applications that sync
// and become Healthy, policies, deletion, and errors that leave every
// Application in place.

// appSetTimeout bounds how long an ApplicationSet takes to generate its
// Applications and for them to sync.
const appSetTimeout = 2 * time.Minute

// workload is what the Applications of these tests deploy: a ConfigMap and
// a Deployment named name, so that several Applications share a namespace.
func workload(name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: %[1]s
data:
  app: %[1]s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
      - name: app
        image: registry.example.com/%[1]s:1
`, name)
}

// workloads is a repository of one directory per name under apps/.
func workloads(names ...string) map[string]string {
	files := map[string]string{}
	for _, name := range names {
		files["apps/"+name+"/resources.yaml"] = workload(name)
	}
	return files
}

// appTemplate is an ApplicationSet template (goTemplate) of automated
// Applications named name, deploying path of repoURL into namespace.
func appTemplate(namespace, name, repoURL, path string) string {
	return fmt.Sprintf(`  template:
    metadata:
      name: '%[2]s'
    spec:
      project: %[1]s
      source: {repoURL: '%[3]s', targetRevision: main, path: '%[4]s'}
      destination: {server: https://kubernetes.default.svc, namespace: %[1]s}
      syncPolicy: {automated: {prune: true, selfHeal: true}}
`, namespace, name, repoURL, path)
}

// applicationSet is an ApplicationSet manifest of namespace.
func applicationSet(name, namespace, spec string) string {
	return fmt.Sprintf("apiVersion: capstan.dev/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  goTemplate: true\n%s", name, namespace, spec)
}

// applications lists the names of the Applications of namespace.
func applications(namespace string) ([]string, error) {
	out, err := tryKubectl("get", "applications", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}")
	if err != nil {
		return nil, err
	}
	names := strings.Fields(out)
	sort.Strings(names)
	return names, nil
}

func waitForApplicationNames(t *testing.T, namespace string, want ...string) {
	t.Helper()
	sort.Strings(want)
	eventually(t, appSetTimeout, fmt.Sprintf("the Applications %v", want), func() (bool, error) {
		got, err := applications(namespace)
		return strings.Join(got, " ") == strings.Join(want, " "), fmt.Errorf("Applications %v (%v); ApplicationSets: %s", got, err,
			tryOutput("get", "applicationsets", "-n", namespace, "-o", "jsonpath={.items[*].status.conditions}"))
	})
}

// waitForHealthy waits until every named Application is Synced and Healthy.
func waitForHealthy(t *testing.T, namespace string, names ...string) {
	t.Helper()
	for _, name := range names {
		eventually(t, appSetTimeout, "Application "+name+" Synced and Healthy", func() (bool, error) {
			got, err := tryKubectl("get", "app", name, "-n", namespace, "-o", "jsonpath={.status.sync.status}/{.status.health.status}")
			return got == "Synced/Healthy", fmt.Errorf("status %q (%v), conditions %s", got, err,
				tryOutput("get", "app", name, "-n", namespace, "-o", "jsonpath={.status.conditions}"))
		})
	}
}

// tryOutput is kubectl's output, or its error, for failure messages.
func tryOutput(args ...string) string {
	out, err := tryKubectl(args...)
	if err != nil {
		return err.Error()
	}
	return out
}

func appSetCondition(namespace, name, conditionType string) string {
	return tryOutput("get", "appset", name, "-n", namespace, "-o",
		fmt.Sprintf(`jsonpath={.status.conditions[?(@.type=="%s")].status}: {.status.conditions[?(@.type=="%s")].message}`, conditionType, conditionType))
}

func waitForAppSetCondition(t *testing.T, namespace, name, conditionType, want string) {
	t.Helper()
	eventually(t, appSetTimeout, fmt.Sprintf("%s %s", conditionType, want), func() (bool, error) {
		got := appSetCondition(namespace, name, conditionType)
		return strings.Contains(got, want), fmt.Errorf("%s is %q", conditionType, got)
	})
}

func TestApplicationSetListGeneratorApplicationsSyncAndBecomeHealthy(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("frontend", "backend"))
	kubectlWithInput(t, applicationSet("list", ns, `  generators:
  - list:
      elements: [{app: frontend}, {app: backend}]
`+appTemplate(ns, "{{.app}}", repo.URL, "apps/{{.app}}")), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "backend", "frontend")
	waitForHealthy(t, ns, "backend", "frontend")
	kubectl(t, "get", "deployment", "frontend", "backend", "-n", ns)

	out := kubectl(t, "get", "appset", "list", "-n", ns)
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "STATUS") || !strings.Contains(out, "ResourcesUpToDate") {
		t.Errorf("kubectl get appset:\n%s", out)
	}
	eventually(t, appSetTimeout, "status.resources to report both Applications Healthy", func() (bool, error) {
		got := tryOutput("get", "appset", "list", "-n", ns, "-o", "jsonpath={.status.resources[*].health.status}")
		return got == "Healthy Healthy", fmt.Errorf("resources health %q", got)
	})

	t.Run("the preview subresource shows what the generators produce now", func(t *testing.T) {
		out := kubectl(t, "get", "appset", "list", "-n", ns, "--subresource=preview")
		for _, want := range []string{"ACTION", "frontend", "backend", "Unchanged", "https://kubernetes.default.svc/" + ns} {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl get appset list --subresource=preview lacks %q:\n%s", want, out)
			}
		}
		candidate, err := yaml.YAMLToJSON([]byte(applicationSet("list", ns, `  generators:
  - list:
      elements: [{app: frontend}, {app: extra}]
`+appTemplate(ns, "{{.app}}", repo.URL, "apps/{{.app}}"))))
		if err != nil {
			t.Fatal(err)
		}
		body := filepath.Join(t.TempDir(), "candidate.json")
		if err := os.WriteFile(body, candidate, 0o600); err != nil {
			t.Fatal(err)
		}
		answer := kubectl(t, "create", "--raw", "/apis/capstan.dev/v1alpha1/namespaces/"+ns+"/applicationsets/list/preview", "-f", body)
		for _, want := range []string{`"kind":"ApplicationSetPreview"`, `"name":"extra","action":"Create"`, `"name":"backend","action":"Delete"`, `"name":"frontend","action":"Unchanged"`} {
			if !strings.Contains(answer, want) {
				t.Errorf("preview of a candidate lacks %s:\n%s", want, answer)
			}
		}
		if got, err := applications(ns); err != nil || strings.Join(got, " ") != "backend frontend" {
			t.Errorf("a preview changed the Applications: %v (%v)", got, err)
		}
	})

	t.Run("a manual edit of a generated Application is reverted", func(t *testing.T) {
		kubectl(t, "patch", "app", "frontend", "-n", ns, "--type=merge", "-p", `{"spec":{"syncPolicy":null}}`)
		eventually(t, appSetTimeout, "automated sync to be restored", func() (bool, error) {
			got, err := tryKubectl("get", "app", "frontend", "-n", ns, "-o", "jsonpath={.spec.syncPolicy.automated.prune}")
			return got == "true", err
		})
	})
}

func TestApplicationSetGitGeneratorsFollowNewCommits(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	files := workloads("alpha", "beta")
	// The files generator's Applications deploy tiers/, apart from the
	// directories' apps/: two Applications never manage the same objects.
	files["tiers/web/resources.yaml"] = workload("web")
	files["config/alpha.json"] = `{"app": "alpha", "tier": "web"}`
	repo := newGitRepo(t, files)
	kubectlWithInput(t, applicationSet("dirs", ns, `  generators:
  - git:
      repoURL: `+repo.URL+`
      revision: main
      directories: [{path: 'apps/*'}]
`+appTemplate(ns, "dir-{{.path.basename}}", repo.URL, "{{.path.path}}")), "apply", "-f", "-")
	kubectlWithInput(t, applicationSet("files", ns, `  generators:
  - git:
      repoURL: `+repo.URL+`
      revision: main
      files: [{path: 'config/*.json'}]
`+appTemplate(ns, "file-{{.app}}-{{.tier}}", repo.URL, "tiers/{{.tier}}")), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "dir-alpha", "dir-beta", "file-alpha-web")
	waitForHealthy(t, ns, "dir-alpha", "dir-beta")

	more := workloads("gamma")
	more["tiers/api/resources.yaml"] = workload("api")
	more["config/beta.json"] = `{"app": "beta", "tier": "api"}`
	repo.commit(t, more, "add gamma and a config for beta")
	// Ref listings are shared with the Application controller for
	// --app-resync; the refresh annotation lists them again now, as a webhook would.
	for _, name := range []string{"dirs", "files"} {
		kubectl(t, "annotate", "appset", name, "-n", ns, "argocd.argoproj.io/application-set-refresh=true", "--overwrite")
	}
	waitForApplicationNames(t, ns, "dir-alpha", "dir-beta", "dir-gamma", "file-alpha-web", "file-beta-api")
	waitForHealthy(t, ns, "dir-gamma")
}

func TestApplicationSetCreateOnlyLeavesEditsAndSyncRevertsThem(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("one", "two"))
	for _, policy := range []string{"create-only", "sync"} {
		kubectlWithInput(t, applicationSet(policy, ns, `  syncPolicy: {applicationsSync: `+policy+`}
  generators:
  - list: {elements: [{app: one}]}
`+strings.Replace(appTemplate(ns, policy+"-{{.app}}", repo.URL, "apps/{{.app}}"), "      syncPolicy: {automated: {prune: true, selfHeal: true}}\n", "", 1)), "apply", "-f", "-")
	}
	waitForApplicationNames(t, ns, "create-only-one", "sync-one")
	for _, name := range []string{"create-only-one", "sync-one"} {
		kubectl(t, "patch", "app", name, "-n", ns, "--type=merge", "-p", `{"spec":{"source":{"path":"apps/two"}}}`)
	}
	eventually(t, appSetTimeout, "the sync policy to revert its edit", func() (bool, error) {
		got, err := tryKubectl("get", "app", "sync-one", "-n", ns, "-o", "jsonpath={.spec.source.path}")
		return got == "apps/one", fmt.Errorf("path %q (%v)", got, err)
	})
	if got := kubectl(t, "get", "app", "create-only-one", "-n", ns, "-o", "jsonpath={.spec.source.path}"); got != "apps/two" {
		t.Errorf("create-only changed an existing Application: path %q", got)
	}
}

func TestApplicationSetDeletionWithAndWithoutPreserveResourcesOnDeletion(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("kept", "removed"))
	kubectlWithInput(t, applicationSet("preserving", ns, `  syncPolicy: {preserveResourcesOnDeletion: true}
  generators:
  - list: {elements: [{app: kept}]}
`+appTemplate(ns, "{{.app}}", repo.URL, "apps/{{.app}}")), "apply", "-f", "-")
	kubectlWithInput(t, applicationSet("cascading", ns, `  generators:
  - list: {elements: [{app: removed}]}
`+appTemplate(ns, "{{.app}}", repo.URL, "apps/{{.app}}")), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "kept", "removed")
	waitForHealthy(t, ns, "kept", "removed")
	if got := kubectl(t, "get", "app", "kept", "-n", ns, "-o", "jsonpath={.metadata.finalizers}"); got != "" {
		t.Errorf("finalizers of an Application of a preserving ApplicationSet = %s, want none", got)
	}

	kubectl(t, "delete", "appset", "preserving", "cascading", "-n", ns)
	waitForApplicationNames(t, ns)
	eventually(t, appSetTimeout, "the cascading Application's Deployment to be deleted", func() (bool, error) {
		_, err := tryKubectl("get", "deployment", "removed", "-n", ns)
		return err != nil && strings.Contains(err.Error(), "NotFound"), err
	})
	kubectl(t, "get", "deployment", "kept", "-n", ns)
	kubectl(t, "get", "configmap", "kept", "-n", ns)
}

func TestApplicationSetKeepsEveryApplicationWhenItsGitServerGoesAway(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("stays"))
	kubectlWithInput(t, applicationSet("fragile", ns, `  generators:
  - git:
      repoURL: `+repo.URL+`
      revision: main
      directories: [{path: 'apps/*'}]
`+appTemplate(ns, "{{.path.basename}}", repo.URL, "{{.path.path}}")), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "stays")
	waitForAppSetCondition(t, ns, "fragile", "ErrorOccurred", "False")

	repo.stop()
	kubectl(t, "annotate", "appset", "fragile", "-n", ns, "argocd.argoproj.io/application-set-refresh=true", "--overwrite")
	waitForAppSetCondition(t, ns, "fragile", "ErrorOccurred", "True")
	waitForAppSetCondition(t, ns, "fragile", "ErrorOccurred", "generators[0] (git)")
	if got, err := applications(ns); err != nil || strings.Join(got, " ") != "stays" {
		t.Errorf("Applications after the Git server went away: %v (%v), want stays kept", got, err)
	}
	events := kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.kind=ApplicationSet,involvedObject.name=fragile", "-o", "jsonpath={.items[*].reason}")
	if !strings.Contains(events, "ApplicationGenerationFromParamsError") {
		t.Errorf("events of the ApplicationSet: %q", events)
	}
}

// secondCluster registers the plane's own kube-apiserver again, under the
// loopback name host (127.0.0.1 or localhost: each registration needs its
// own server URL), as a cluster Secret labelled env=label in Capstan's
// repository namespace, and returns its server URL.
func secondCluster(t *testing.T, name, label, host string) string {
	t.Helper()
	url := strings.Replace(kubeAPIServerURL(t), "127.0.0.1", host, 1)
	registerCluster(t, name, label, url)
	return url
}

// kubeAPIServerURL is the plane's kube-apiserver, as the admin kubeconfig names it.
func kubeAPIServerURL(t *testing.T) string {
	t.Helper()
	config, err := clientcmd.LoadFromFile(cluster.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return config.Clusters[config.Contexts[config.CurrentContext].Cluster].Server
}

// registerCluster writes a cluster Secret labelled env=label in Capstan's
// repository namespace that reaches the plane's kube-apiserver, with the
// admin's credentials, at url (which must lead to it, through a proxy say),
// and deletes it when the test ends.
func registerCluster(t *testing.T, name, label, url string) {
	t.Helper()
	config, err := clientcmd.LoadFromFile(cluster.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	context := config.Contexts[config.CurrentContext]
	server, user := config.Clusters[context.Cluster], config.AuthInfos[context.AuthInfo]
	clusterConfig, err := json.Marshal(map[string]any{"tlsClientConfig": map[string]any{
		"caData":   base64.StdEncoding.EncodeToString(server.CertificateAuthorityData),
		"certData": base64.StdEncoding.EncodeToString(user.ClientCertificateData),
		"keyData":  base64.StdEncoding.EncodeToString(user.ClientKeyData),
	}})
	if err != nil {
		t.Fatal(err)
	}
	kubectlWithInput(t, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %[1]s
  namespace: capstan-system
  labels: {argocd.argoproj.io/secret-type: cluster, env: %[2]s}
  annotations: {region: east}
stringData:
  name: %[1]s
  server: %[3]s
  config: '%[4]s'
`, name, label, url, clusterConfig), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = tryKubectl("delete", "secret", name, "-n", "capstan-system", "--ignore-not-found") })
}

func TestApplicationSetClustersMatrixAndMergeGenerators(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("web", "api", "edge"))
	server := secondCluster(t, ns+"-east", ns, "127.0.0.1")
	// Each Application deploys into a namespace of its cluster's name, so
	// that two registrations of the same kube-apiserver never share objects.
	toCluster := func(name, path, destinationNamespace string) string {
		template := strings.Replace(appTemplate(ns, name, repo.URL, path), "server: https://kubernetes.default.svc, namespace: "+ns,
			"server: '{{.server}}', namespace: '"+destinationNamespace+"'", 1)
		return strings.Replace(template, "selfHeal: true}}", "selfHeal: true}, syncOptions: [CreateNamespace=true]}", 1)
	}
	for _, suffix := range []string{"east", "west"} {
		for _, kind := range []string{"c", "m", "merged"} {
			namespace := fmt.Sprintf("%s-%s-%s", ns, suffix, kind)
			t.Cleanup(func() { _, _ = tryKubectl("delete", "namespace", namespace, "--wait=false") })
		}
	}

	kubectlWithInput(t, applicationSet("clusters", ns, `  generators:
  - clusters:
      selector: {matchLabels: {env: `+ns+`}}
      values: {app: edge}
`+toCluster("c-{{.name}}", "apps/{{.values.app}}", "{{.name}}-c")), "apply", "-f", "-")
	kubectlWithInput(t, applicationSet("matrix", ns, `  generators:
  - matrix:
      generators:
      - git: {repoURL: `+repo.URL+`, revision: main, directories: [{path: 'apps/*'}, {path: apps/edge, exclude: true}]}
      - clusters: {selector: {matchLabels: {env: `+ns+`}}}
`+toCluster("m-{{.path.basename}}-{{.metadata.annotations.region}}-{{.name}}", "{{.path.path}}", "{{.name}}-m")), "apply", "-f", "-")
	kubectlWithInput(t, applicationSet("merge", ns, `  generators:
  - merge:
      mergeKeys: [name]
      generators:
      - clusters: {selector: {matchLabels: {env: `+ns+`}}, values: {app: web}}
      - list: {elements: [{name: `+ns+`-east, values: {app: api}}]}
`+toCluster("merged-{{.values.app}}", "apps/{{.values.app}}", "{{.name}}-merged")), "apply", "-f", "-")

	east := []string{"c-" + ns + "-east", "m-web-east-" + ns + "-east", "m-api-east-" + ns + "-east", "merged-api"}
	waitForApplicationNames(t, ns, east...)
	waitForHealthy(t, ns, east...)
	if got := kubectl(t, "get", "app", east[1], "-n", ns, "-o", "jsonpath={.spec.destination.server}"); got != server {
		t.Errorf("destination of the matrix's Application = %q, want the second cluster %q", got, server)
	}
	kubectl(t, "get", "deployment", "api", "-n", ns+"-east-merged")

	// A second cluster Secret joins: the Clusters generators run again at once.
	secondCluster(t, ns+"-west", ns, "localhost")
	west := []string{"c-" + ns + "-west", "m-web-east-" + ns + "-west", "m-api-east-" + ns + "-west", "merged-web"}
	waitForApplicationNames(t, ns, append(east, west...)...)
	waitForHealthy(t, ns, west...)
}
