package plugin

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/resourcetree"
)

// update rewrites the golden files: go test ./pkg/cmd/plugin -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var (
	now      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	started  = metav1.NewTime(now.Add(-10 * time.Minute))
	finished = metav1.NewTime(now.Add(-9 * time.Minute))
	healthy  = &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}
)

// guestbook is an Application after a sync of a Deployment, a Service, a
// ConfigMap and a PreSync hook, with one resource left to prune.
func guestbook() *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/apps.git", Path: "guestbook", TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "web"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}},
		},
		Status: v1alpha1.ApplicationStatus{
			Sync:    v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "53e28ff20cc530b9ada2173fbbd64d48338583ba"},
			Health:  v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusProgressing, Message: "Waiting for rollout"},
			Summary: v1alpha1.ApplicationSummary{ExternalURLs: []string{"https://guestbook.example.com"}},
			Resources: []v1alpha1.ResourceStatus{
				{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "settings", Status: v1alpha1.SyncStatusCodeSynced},
				{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "ui", Status: v1alpha1.SyncStatusCodeSynced,
					Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusProgressing, Message: "Waiting for rollout"}},
				{Version: "v1", Kind: "Service", Namespace: "web", Name: "ui", Status: v1alpha1.SyncStatusCodeSynced, Health: healthy},
				{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "old", Status: v1alpha1.SyncStatusCodeOutOfSync, RequiresPruning: true},
			},
			OperationState: &v1alpha1.OperationState{
				Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "53e28ff20cc530b9ada2173fbbd64d48338583ba"}},
				Phase:     v1alpha1.OperationSucceeded, Message: "successfully synced (all tasks run)",
				StartedAt: started, FinishedAt: &finished,
				SyncResult: &v1alpha1.SyncOperationResult{Revision: "53e28ff20cc530b9ada2173fbbd64d48338583ba", Resources: []*v1alpha1.ResourceResult{
					{Group: "batch", Version: "v1", Kind: "Job", Namespace: "web", Name: "migrate", Status: v1alpha1.ResultCodeSynced,
						HookType: v1alpha1.HookTypePreSync, HookPhase: v1alpha1.OperationSucceeded, Message: "job completed"},
					{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "settings", Status: v1alpha1.ResultCodeSynced, Message: "configmap/settings configured"},
					{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "ui", Status: v1alpha1.ResultCodeSynced, Message: "deployment.apps/ui configured"},
				}},
			},
			History: []v1alpha1.RevisionHistory{
				{ID: 1, Revision: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", DeployedAt: metav1.NewTime(now.Add(-48 * time.Hour)), InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}},
				{ID: 2, Revision: "53e28ff20cc530b9ada2173fbbd64d48338583ba", DeployedAt: finished, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}},
			},
		},
	}
}

// guestbookTree is guestbook's tree: the Deployment owns two ReplicaSets,
// the newer with two Pods.
func guestbookTree() *resourcetree.Tree {
	tree := resourcetree.FromStatus(guestbook())
	created := metav1.NewTime(now.Add(-90 * time.Minute))
	pod := func(name string, health v1alpha1.HealthStatusCode) *resourcetree.Node {
		return &resourcetree.Node{Version: "v1", Kind: "Pod", Namespace: "web", Name: name, Created: created, Health: &v1alpha1.HealthStatus{Status: health}}
	}
	for _, node := range tree.Nodes {
		node.Created = created
		if node.Kind == "Deployment" {
			node.Children = []*resourcetree.Node{
				{Group: "apps", Version: "v1", Kind: "ReplicaSet", Namespace: "web", Name: "ui-5d8f", Created: created, Health: healthy},
				{Group: "apps", Version: "v1", Kind: "ReplicaSet", Namespace: "web", Name: "ui-7c9a", Created: created, Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusProgressing},
					Children: []*resourcetree.Node{pod("ui-7c9a-abcde", v1alpha1.HealthStatusHealthy), pod("ui-7c9a-fghij", v1alpha1.HealthStatusProgressing)}},
			}
		}
	}
	return tree
}

func TestGoldenGet(t *testing.T) {
	for _, tt := range []struct {
		name string
		wide bool
	}{{"get", false}, {"get-wide", true}} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := printApplication(&out, guestbook(), guestbookTree(), tt.wide, now); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out.Bytes())
		})
	}
}

func TestGoldenHistory(t *testing.T) {
	for _, format := range []string{"", "yaml", "json"} {
		t.Run("format "+format, func(t *testing.T) {
			var out bytes.Buffer
			if err := printHistory(&out, guestbook().Status.History, format); err != nil {
				t.Fatal(err)
			}
			golden(t, "history"+map[string]string{"": "", "yaml": "-yaml", "json": "-json"}[format], out.Bytes())
		})
	}
}

func TestGoldenSyncResult(t *testing.T) {
	var out bytes.Buffer
	if err := printSyncResult(&out, guestbook()); err != nil {
		t.Fatal(err)
	}
	golden(t, "sync-result", out.Bytes())
}

func TestGoldenDiff(t *testing.T) {
	diff := &v1alpha1.ApplicationDiff{Items: []v1alpha1.ResourceDiffItem{
		{Kind: "ConfigMap", Namespace: "web", Name: "settings", Status: "OutOfSync",
			Diff: "--- /ConfigMap:web/settings (live)\n+++ /ConfigMap:web/settings (target)\n@@ -1,4 +1,4 @@\n apiVersion: v1\n data:\n-  greeting: hello\n+  greeting: hi\n"},
		{Group: "apps", Kind: "Deployment", Namespace: "web", Name: "ui", Status: "Synced"},
		{Kind: "Secret", Namespace: "web", Name: "token", Status: "OutOfSync", Message: "the live object is not shown: you may not get secrets in namespace web"},
		{Kind: "ConfigMap", Namespace: "web", Name: "old", Status: "RequiresPruning"},
	}}
	var out bytes.Buffer
	if differs := printDiff(&out, diff); !differs {
		t.Errorf("printDiff found no difference")
	}
	golden(t, "diff", out.Bytes())
	out.Reset()
	if differs := printDiff(&out, &v1alpha1.ApplicationDiff{Items: diff.Items[1:2]}); differs || out.Len() != 0 {
		t.Errorf("a synced Application differs or prints %q", out.String())
	}
}

func TestGoldenClusterList(t *testing.T) {
	var out bytes.Buffer
	err := printClusters(&out, []clusterRow{
		{Server: "https://kubernetes.default.svc", Name: "in-cluster", Version: "1.37", Status: "Successful"},
		{Server: "https://prod.example.com:6443", Name: "prod", Status: "Failed", Message: "the credentials were refused", Project: "team-a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "cluster-list", out.Bytes())
}
