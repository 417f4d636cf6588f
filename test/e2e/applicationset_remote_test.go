package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// ApplicationSets whose generators reach SCM providers and plugins: loopback
// fakes speak the real APIs (Gitea's repository listing, GitHub's pull
// requests, Argo CD's plugin protocol) and point at a real Git repository.

const remoteToken = "e2e-provider-token"

// jsonAPI serves canned JSON by path on 127.0.0.1 to requests carrying the
// authorization header want, answering 401 to others.
func jsonAPI(t *testing.T, want string, routes map[string]func(*http.Request) any) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, request *http.Request) {
		if request.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		route, ok := routes[request.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(route(request))
	}))
	t.Cleanup(server.Close)
	return server
}

func constant(value any) func(*http.Request) any { return func(*http.Request) any { return value } }

func TestApplicationSetSCMPullRequestAndPluginGeneratorsAgainstLoopbackFakes(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("svc-a", "svc-b", "pr-7", "plug-x"))
	head := repo.head(t)
	kubectl(t, "create", "secret", "generic", "scm-token", "-n", ns, "--from-literal=token="+remoteToken)

	giteaRepo := func(id int, name string) map[string]any {
		return map[string]any{"id": id, "name": name, "clone_url": repo.URL, "ssh_url": "git@gitea.invalid:acme/" + name + ".git",
			"default_branch": "main", "owner": map[string]any{"login": "acme"}}
	}
	gitea := jsonAPI(t, "token "+remoteToken, map[string]func(*http.Request) any{
		"/api/v1/orgs/acme/repos":                constant([]any{giteaRepo(1, "svc-a"), giteaRepo(2, "svc-b"), giteaRepo(3, "docs")}),
		"/api/v1/repos/acme/svc-a/topics":        constant(map[string]any{"topics": []string{"deploy"}}),
		"/api/v1/repos/acme/svc-b/topics":        constant(map[string]any{"topics": []string{"deploy"}}),
		"/api/v1/repos/acme/docs/topics":         constant(map[string]any{"topics": []string{}}),
		"/api/v1/repos/acme/svc-a/branches/main": constant(map[string]any{"name": "main", "commit": map[string]any{"id": head}}),
		"/api/v1/repos/acme/svc-b/branches/main": constant(map[string]any{"name": "main", "commit": map[string]any{"id": head}}),
	})
	github := jsonAPI(t, "Bearer "+remoteToken, map[string]func(*http.Request) any{
		"/repos/acme/api/pulls": constant([]any{
			map[string]any{"number": 7, "title": "Preview me", "head": map[string]any{"ref": "main", "sha": head},
				"base": map[string]any{"ref": "main"}, "labels": []any{map[string]any{"name": "preview"}}, "user": map[string]any{"login": "alice"}},
			map[string]any{"number": 8, "title": "Not labelled", "head": map[string]any{"ref": "other", "sha": head},
				"base": map[string]any{"ref": "main"}, "labels": []any{}, "user": map[string]any{"login": "bob"}},
		}),
	})
	plugin := jsonAPI(t, "Bearer "+remoteToken, map[string]func(*http.Request) any{
		"/api/v1/getparams.execute": func(request *http.Request) any {
			var body struct {
				ApplicationSetName string `json:"applicationSetName"`
				Input              struct {
					Parameters map[string]string `json:"parameters"`
				} `json:"input"`
			}
			_ = json.NewDecoder(request.Body).Decode(&body)
			return map[string]any{"output": map[string]any{"parameters": []any{
				map[string]any{"app": body.Input.Parameters["app"], "set": body.ApplicationSetName},
			}}}
		},
	})
	kubectl(t, "create", "configmap", "plugin", "-n", ns, "--from-literal=baseUrl="+plugin.URL, "--from-literal=token=$scm-token:token")

	template := func(name, repoURL, path, revision string) string {
		return fmt.Sprintf(`  template:
    metadata:
      name: '%[2]s'
    spec:
      project: %[1]s
      source: {repoURL: '%[4]s', targetRevision: '%[5]s', path: '%[3]s'}
      destination: {server: https://kubernetes.default.svc, namespace: %[1]s}
      syncPolicy: {automated: {prune: true, selfHeal: true}}
`, ns, name, path, repoURL, revision)
	}
	kubectlWithInput(t, applicationSet("scm", ns, `  generators:
  - scmProvider:
      cloneProtocol: https
      gitea: {owner: acme, api: '`+gitea.URL+`', tokenRef: {secretName: scm-token, key: token}}
      filters: [{labelMatch: '^deploy$'}]
`+template("scm-{{.repository}}", "{{.url}}", "apps/{{.repository}}", "{{.sha}}")), "apply", "-f", "-")
	kubectlWithInput(t, applicationSet("pulls", ns, `  generators:
  - pullRequest:
      github: {owner: acme, repo: api, api: '`+github.URL+`', tokenRef: {secretName: scm-token, key: token}, labels: [preview]}
`+template("pr-{{.number}}", repo.URL, "apps/pr-{{.number}}", "{{.head_sha}}")), "apply", "-f", "-")
	kubectlWithInput(t, applicationSet("plugin", ns, `  generators:
  - plugin:
      configMapRef: {name: plugin}
      input: {parameters: {app: plug-x}}
`+template("{{.app}}", repo.URL, "apps/{{.app}}", "main")), "apply", "-f", "-")

	waitForApplicationNames(t, ns, "scm-svc-a", "scm-svc-b", "pr-7", "plug-x")
	waitForHealthy(t, ns, "scm-svc-a", "scm-svc-b", "pr-7", "plug-x")
	kubectl(t, "get", "deployment", "svc-a", "svc-b", "pr-7", "plug-x", "-n", ns)
	for _, name := range []string{"scm", "pulls", "plugin"} {
		waitForAppSetCondition(t, ns, name, "ErrorOccurred", "False")
	}

	t.Run("a provider that fails keeps every Application and says so", func(t *testing.T) {
		gitea.Close()
		kubectl(t, "annotate", "appset", "scm", "-n", ns, "argocd.argoproj.io/application-set-refresh=true", "--overwrite")
		waitForAppSetCondition(t, ns, "scm", "ErrorOccurred", "generators[0] (scmProvider)")
		if got, err := applications(ns); err != nil || len(got) != 4 {
			t.Errorf("Applications %v (%v), want all four kept", got, err)
		}
	})
}

func TestAPullRequestWebhookRunsThePullRequestGeneratorAtOnce(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("pr-7", "pr-9"))
	head := repo.head(t)
	kubectl(t, "create", "secret", "generic", "scm-token", "-n", ns, "--from-literal=token="+remoteToken)
	pull := func(number int) map[string]any {
		return map[string]any{"number": number, "title": "change", "head": map[string]any{"ref": fmt.Sprintf("change-%d", number), "sha": head},
			"base": map[string]any{"ref": "main"}, "user": map[string]any{"login": "alice"}}
	}
	var open atomic.Value
	open.Store([]any{pull(7)})
	github := jsonAPI(t, "Bearer "+remoteToken, map[string]func(*http.Request) any{
		"/repos/acme/api/pulls": func(*http.Request) any { return open.Load() },
	})
	// Listed again only after an hour unless a webhook says otherwise.
	kubectlWithInput(t, applicationSet("pulls", ns, `  generators:
  - pullRequest:
      requeueAfterSeconds: 3600
      github: {owner: acme, repo: api, api: '`+github.URL+`', tokenRef: {secretName: scm-token, key: token}}
`+appTemplate(ns, "pr-{{.number}}", repo.URL, "apps/pr-{{.number}}")), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "pr-7")

	kubectlWithInput(t, `apiVersion: v1
kind: Secret
metadata: {name: argocd-secret, namespace: capstan-system}
stringData: {webhook.github.secret: e2e-s3cret}
`, "apply", "-f", "-")
	t.Cleanup(func() {
		_, _ = tryKubectl("delete", "secret", "argocd-secret", "-n", "capstan-system", "--ignore-not-found")
	})
	open.Store([]any{pull(7), pull(9)})
	signed := mustWebhook(t, webhooktest.GitHubPullRequest,
		// The repository is on the host of the generator's api (the fake), as
		// github.com's repositories are for api.github.com.
		webhooktest.Event{Ref: "refs/heads/change-9", Before: head, After: head, CloneURL: github.URL + "/acme/api.git"},
		webhooktest.Signing{Secret: "e2e-s3cret"})
	eventually(t, compareTimeout, "the signed pull request event to be accepted", func() (bool, error) {
		status, err := postWebhook(t, signed)
		return status == http.StatusAccepted, fmt.Errorf("status %d (%v)", status, err)
	})
	waitForApplicationNames(t, ns, "pr-7", "pr-9")
	waitForHealthy(t, ns, "pr-7", "pr-9")
}

func TestApplicationSetClusterDecisionResourceReadsADuckTypedResource(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("placed"))
	kubectlWithInput(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: placementdecisions.e2e.capstan.dev}
spec:
  group: e2e.capstan.dev
  scope: Namespaced
  names: {plural: placementdecisions, singular: placementdecision, kind: PlacementDecision, listKind: PlacementDecisionList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`, "apply", "-f", "-")
	t.Cleanup(func() { _, _ = tryKubectl("delete", "crd", "placementdecisions.e2e.capstan.dev", "--ignore-not-found") })
	kubectl(t, "wait", "--for=condition=Established", "crd/placementdecisions.e2e.capstan.dev", "--timeout=60s")
	kubectlWithInput(t, `apiVersion: e2e.capstan.dev/v1
kind: PlacementDecision
metadata: {name: placement, namespace: `+ns+`}
status:
  decisions:
  - {clusterName: in-cluster, reason: picked}
  - {clusterName: no-such-cluster, reason: picked}
`, "apply", "-f", "-")
	kubectl(t, "create", "configmap", "placement-duck", "-n", ns, "--from-literal=apiVersion=e2e.capstan.dev/v1",
		"--from-literal=kind=PlacementDecision", "--from-literal=statusListKey=decisions", "--from-literal=matchKey=clusterName")
	kubectlWithInput(t, applicationSet("decided", ns, `  generators:
  - clusterDecisionResource: {configMapRef: placement-duck, name: placement}
  template:
    metadata:
      name: 'placed-{{.name}}'
    spec:
      project: `+ns+`
      source: {repoURL: '`+repo.URL+`', targetRevision: main, path: apps/placed}
      destination: {server: '{{.server}}', namespace: `+ns+`}
      syncPolicy: {automated: {prune: true}}
`), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "placed-in-cluster")
	waitForHealthy(t, ns, "placed-in-cluster")
}
