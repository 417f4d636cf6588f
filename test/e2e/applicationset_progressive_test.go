package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// rolloutStatus is what the test reads of an ApplicationSet in a rollout.
type rolloutStatus struct {
	Status struct {
		ApplicationStatus []struct {
			Application, Status, Step string
		} `json:"applicationStatus"`
	} `json:"status"`
}

// appOperation is what the test reads of a generated Application's sync.
type appOperation struct {
	Spec struct {
		SyncPolicy *struct {
			Automated any `json:"automated"`
		} `json:"syncPolicy"`
	} `json:"spec"`
	Status struct {
		OperationState *struct {
			Operation struct {
				InitiatedBy struct {
					Username  string `json:"username"`
					Automated bool   `json:"automated"`
				} `json:"initiatedBy"`
			} `json:"operation"`
			Phase      string    `json:"phase"`
			StartedAt  time.Time `json:"startedAt"`
			FinishedAt time.Time `json:"finishedAt"`
		} `json:"operationState"`
	} `json:"status"`
}

func TestApplicationSetRollingSyncSyncsStepByStep(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("dev-1", "prod-1", "prod-2"))
	kubectlWithInput(t, applicationSet("rolling", ns, `  generators:
  - list:
      elements:
      - {name: dev-1, env: dev}
      - {name: prod-1, env: prod}
      - {name: prod-2, env: prod}
  strategy:
    type: RollingSync
    rollingSync:
      steps:
      - matchExpressions: [{key: env, operator: In, values: [dev]}]
      - matchExpressions: [{key: env, operator: In, values: [prod]}]
        maxUpdate: 1
  template:
    metadata:
      name: '{{.name}}'
      labels: {env: '{{.env}}'}
    spec:
      project: `+ns+`
      source: {repoURL: '`+repo.URL+`', targetRevision: main, path: 'apps/{{.name}}'}
      destination: {server: https://kubernetes.default.svc, namespace: `+ns+`}
      syncPolicy: {automated: {prune: true}}
`), "apply", "-f", "-")

	waitForRollout(t, ns, "rolling", repo.head(t))

	t.Run("a new commit rolls out again step by step, automated sync still removed", func(t *testing.T) {
		files := map[string]string{}
		for _, name := range []string{"dev-1", "prod-1", "prod-2"} {
			files["apps/"+name+"/extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "-extra}\ndata: {v: two}\n"
		}
		repo.commit(t, files, "second")
		// The rollout follows what the Applications' refreshes show: dev-1
		// is refreshed first, so that the prod ones cannot be seen OutOfSync
		// while dev-1 still looks Healthy on the old commit.
		head := repo.head(t)
		kubectl(t, "annotate", "app", "dev-1", "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
		eventually(t, appSetTimeout, "dev-1 to see the new commit", func() (bool, error) {
			got, err := tryKubectl("get", "app", "dev-1", "-n", ns, "-o", "jsonpath={.status.sync.status}@{.status.sync.revision}")
			return strings.HasPrefix(got, "OutOfSync") || strings.HasSuffix(got, "@"+head), fmt.Errorf("dev-1 is %q (%v)", got, err)
		})
		for _, name := range []string{"prod-1", "prod-2"} {
			kubectl(t, "annotate", "app", name, "-n", ns, "argocd.argoproj.io/refresh=normal", "--overwrite")
		}
		waitForRollout(t, ns, "rolling", head)
		kubectl(t, "get", "configmap", "dev-1-extra", "prod-1-extra", "prod-2-extra", "-n", ns)
	})
}

// waitForRollout waits until the RollingSync of appSet (steps dev-1, then
// prod-1 and prod-2 one at a time) synced every Application to revision,
// checking the order in every snapshot observed on the way and, at the
// end, in the syncs' start and finish times.
func waitForRollout(t *testing.T, ns, appSet, revision string) {
	t.Helper()
	// Every snapshot observed while the rollout runs keeps the order: no
	// prod Application moves before dev-1 is Healthy, and at most one prod
	// Application syncs at a time.
	eventually(t, 2*appSetTimeout, "every Application of the rollout Healthy", func() (bool, error) {
		out, err := tryKubectl("get", "appset", appSet, "-n", ns, "-o", "json")
		if err != nil {
			return false, err
		}
		var appSet rolloutStatus
		if err := json.Unmarshal([]byte(out), &appSet); err != nil {
			return false, err
		}
		states := map[string]string{}
		for _, s := range appSet.Status.ApplicationStatus {
			states[s.Application] = s.Status + "@" + s.Step
		}
		moving := 0
		for _, name := range []string{"prod-1", "prod-2"} {
			state := states[name]
			if strings.HasPrefix(state, "Pending") || strings.HasPrefix(state, "Progressing") {
				if states["dev-1"] != "Healthy@1" {
					t.Fatalf("%s is %s before dev-1 is Healthy: %v", name, state, states)
				}
				moving++
			}
		}
		if moving > 1 {
			t.Fatalf("maxUpdate 1 let two prod Applications sync at once: %v", states)
		}
		done := states["dev-1"] == "Healthy@1" && states["prod-1"] == "Healthy@2" && states["prod-2"] == "Healthy@2"
		for _, name := range []string{"dev-1", "prod-1", "prod-2"} {
			got, _ := tryKubectl("get", "app", name, "-n", ns, "-o", "jsonpath={.status.sync.revision}")
			done = done && got == revision
		}
		return done, fmt.Errorf("applicationStatus %v", states)
	})
	waitForHealthy(t, ns, "dev-1", "prod-1", "prod-2")
	waitForAppSetCondition(t, ns, appSet, "RolloutProgressing", "False: ApplicationSet Rollout Rollout complete")

	// Each Application was synced once by the rollout, with automated sync
	// removed, and the syncs ran in step order: dev-1's ended before any
	// prod one started, and the prod ones one after the other.
	operations := map[string]appOperation{}
	for _, name := range []string{"dev-1", "prod-1", "prod-2"} {
		var app appOperation
		if err := json.Unmarshal([]byte(kubectl(t, "get", "app", name, "-n", ns, "-o", "json")), &app); err != nil {
			t.Fatal(err)
		}
		if app.Spec.SyncPolicy != nil && app.Spec.SyncPolicy.Automated != nil {
			t.Errorf("%s keeps automated sync under RollingSync", name)
		}
		state := app.Status.OperationState
		if state == nil || state.Phase != "Succeeded" || state.Operation.InitiatedBy.Username != "applicationset-controller" || !state.Operation.InitiatedBy.Automated {
			t.Fatalf("%s: operation state %+v, want a sync started by the rollout", name, state)
		}
		operations[name] = app
	}
	finished := func(name string) time.Time { return operations[name].Status.OperationState.FinishedAt }
	started := func(name string) time.Time { return operations[name].Status.OperationState.StartedAt }
	first, second := "prod-1", "prod-2"
	if started(second).Before(started(first)) {
		first, second = second, first
	}
	if started(first).Before(finished("dev-1")) || started(second).Before(finished(first)) {
		t.Errorf("syncs out of step order: dev-1 %v–%v, %s %v–%v, %s %v–%v", started("dev-1"), finished("dev-1"),
			first, started(first), finished(first), second, started(second), finished(second))
	}
}

func TestApplicationSetDeletionOrderReverseDeletesTheLastStepFirst(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	names := []string{"base", "middle", "top"}
	repo := newGitRepo(t, workloads(names...))
	kubectlWithInput(t, applicationSet("layers", ns, `  generators:
  - list:
      elements:
      - {name: base, layer: "1"}
      - {name: middle, layer: "2"}
      - {name: top, layer: "3"}
  strategy:
    type: RollingSync
    deletionOrder: Reverse
    rollingSync:
      steps:
      - matchExpressions: [{key: layer, operator: In, values: ["1"]}]
      - matchExpressions: [{key: layer, operator: In, values: ["2"]}]
      - matchExpressions: [{key: layer, operator: In, values: ["3"]}]
  template:
    metadata:
      name: '{{.name}}'
      labels: {layer: '{{.layer}}'}
      finalizers: [resources-finalizer.argocd.argoproj.io]
    spec:
      project: `+ns+`
      source: {repoURL: '`+repo.URL+`', targetRevision: main, path: 'apps/{{.name}}'}
      destination: {server: https://kubernetes.default.svc, namespace: `+ns+`}
`), "apply", "-f", "-")
	waitForHealthy(t, ns, names...)
	eventually(t, appSetTimeout, "the ApplicationSet to hold the resources finalizer", func() (bool, error) {
		got, err := tryKubectl("get", "appset", "layers", "-n", ns, "-o", "jsonpath={.metadata.finalizers}")
		return strings.Contains(got, "resources-finalizer.argocd.argoproj.io"), fmt.Errorf("finalizers %q (%v)", got, err)
	})

	// Every change of the Applications, in the order the API server sends them.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := kubectlCommand(ctx, nil, "get", "applications", "-n", ns, "--watch", "--output-watch-events",
		"-o", `jsonpath={.type} {.object.metadata.name} {.object.metadata.deletionTimestamp}{"\n"}`)
	var events lockedBuffer
	watch.Stdout = &events
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	watching := make(chan error, 1)
	go func() { watching <- watch.Wait() }()
	eventually(t, appSetTimeout, "the watch to list the Applications", func() (bool, error) {
		return strings.Count(events.String(), "ADDED") >= len(names), fmt.Errorf("events %q", events.String())
	})

	kubectl(t, "delete", "appset", "layers", "-n", ns, "--wait=false")
	eventually(t, 2*appSetTimeout, "the ApplicationSet and its Applications to be gone", func() (bool, error) {
		apps, err := applications(ns)
		_, appSetErr := tryKubectl("get", "appset", "layers", "-n", ns)
		return err == nil && len(apps) == 0 && appSetErr != nil && strings.Contains(appSetErr.Error(), "NotFound"),
			fmt.Errorf("Applications %v (%v), ApplicationSet: %v", apps, err, appSetErr)
	})
	// The resources of each Application went with it (its finalizer).
	for _, name := range names {
		if out, err := tryKubectl("get", "configmap", name, "-n", ns); err == nil {
			t.Errorf("the ConfigMap of %s is still there: %s", name, out)
		}
	}
	cancel()
	<-watching

	// Each step starts deleting only once the later steps are gone.
	deleting, deleted := map[string]int{}, map[string]int{}
	for i, line := range strings.Split(strings.TrimSpace(events.String()), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		name := fields[1]
		if _, seen := deleting[name]; !seen && len(fields) == 3 {
			deleting[name] = i
		}
		if fields[0] == "DELETED" {
			deleted[name] = i
		}
	}
	for i := 0; i+1 < len(names); i++ {
		earlier, later := names[i], names[i+1]
		d, okDeleting := deleting[earlier]
		gone, okDeleted := deleted[later]
		if !okDeleting || !okDeleted || d < gone {
			t.Errorf("%s started deleting (event %d, seen %v) before %s was gone (event %d, seen %v); events:\n%s",
				earlier, d, okDeleting, later, gone, okDeleted, events.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}
