package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// The resource tree and its live objects, as the subresources
// applications/NAME/resourcetree and applications/NAME/resource compute
// them for their caller: the dashboard and `kubectl capstan get` show what
// they answer. Each user sees what their own RBAC lets them list and get.

const treeSecret = `---
apiVersion: v1
kind: Secret
metadata:
  name: guestbook-secret
stringData:
  password: s3cr3t-value
`

// treeOf reads the resource tree as user.
func treeOf(t *testing.T, ns, user string) (*v1alpha1.ApplicationResourceTree, error) {
	t.Helper()
	out, err := asUser(user, "", "get", "--raw", fmt.Sprintf("/apis/capstan.dev/v1alpha1/namespaces/%s/applications/guestbook/resourcetree", ns))
	if err != nil {
		return nil, err
	}
	tree := &v1alpha1.ApplicationResourceTree{}
	if err := json.Unmarshal([]byte(out), tree); err != nil {
		t.Fatalf("decode the tree: %v\n%s", err, out)
	}
	return tree, nil
}

// liveOf reads one object of the tree as user.
func liveOf(ns, user, group, kind, namespace, name string) (map[string]any, error) {
	query := url.Values{"group": {group}, "resourceKind": {kind}, "namespace": {namespace}, "resourceName": {name}}
	out, err := asUser(user, "", "get", "--raw", fmt.Sprintf("/apis/capstan.dev/v1alpha1/namespaces/%s/applications/guestbook/resource?%s", ns, query.Encode()))
	if err != nil {
		return nil, err
	}
	live := struct {
		Object map[string]any `json:"object"`
	}{}
	if err := json.Unmarshal([]byte(out), &live); err != nil {
		return nil, fmt.Errorf("decode %s: %w", out, err)
	}
	return live.Object, nil
}

// treeNode finds the node of kind (and name, when given) anywhere in nodes.
func treeNode(nodes []v1alpha1.ResourceTreeNode, kind, name string) *v1alpha1.ResourceTreeNode {
	for i := range nodes {
		if nodes[i].Kind == kind && (name == "" || nodes[i].Name == name) {
			return &nodes[i]
		}
		if found := treeNode(nodes[i].Children, kind, name); found != nil {
			return found
		}
	}
	return nil
}

func TestResourceTreeIsComputedForItsCaller(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	editor, viewer, narrow, outsider := "tree-editor-"+ns, "tree-viewer-"+ns, "tree-narrow-"+ns, "tree-outsider-"+ns
	// edit reads Secrets; view does not; narrow may read the Application's
	// subresources and list Deployments, ConfigMaps and Services, nothing
	// else; outsider may get Applications but not their trees.
	grant(t, ns, editor, "edit", "get", "applications.capstan.dev", "resourcetree")
	grant(t, ns, viewer, "view", "get", "applications.capstan.dev", "resource")
	kubectl(t, "create", "role", "narrow", "-n", ns, "--verb=get,list",
		"--resource=applications.capstan.dev,applications.capstan.dev/resourcetree,applications.capstan.dev/resource,deployments.apps,configmaps,services")
	kubectl(t, "create", "rolebinding", "narrow", "-n", ns, "--role=narrow", "--user="+narrow)
	kubectl(t, "create", "role", "outsider", "-n", ns, "--verb=get,list", "--resource=applications.capstan.dev")
	kubectl(t, "create", "rolebinding", "outsider", "-n", ns, "--role=outsider", "--user="+outsider)

	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources + treeSecret})
	kubectlWithInput(t, teamApplication("guestbook", ns, ns, repo.URL, "guestbook", ns, true), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	t.Run("an editor sees Deployment, ReplicaSet and Pod with their health, and every managed object", func(t *testing.T) {
		eventually(t, compareTimeout, "the Pod in the editor's tree", func() (bool, error) {
			tree, err := treeOf(t, ns, editor)
			if err != nil {
				return false, err
			}
			deployment := treeNode(tree.Nodes, "Deployment", "guestbook-ui")
			if deployment == nil || !deployment.Managed || deployment.UID == "" {
				return false, fmt.Errorf("no live managed Deployment in %+v", tree.Nodes)
			}
			pod := treeNode(deployment.Children, "Pod", "")
			if treeNode(deployment.Children, "ReplicaSet", "") == nil || pod == nil || pod.Health == nil || pod.Health.Status != "Healthy" || pod.Managed {
				return false, fmt.Errorf("Deployment's children %+v", deployment.Children)
			}
			if secret := treeNode(tree.Nodes, "Secret", "guestbook-secret"); secret == nil || secret.UID == "" {
				return false, fmt.Errorf("no live Secret in %+v", tree.Nodes)
			}
			if len(tree.Warnings) != 0 {
				return false, fmt.Errorf("warnings %q, want none", tree.Warnings)
			}
			return true, nil
		})
	})
	t.Run("live objects of the tree are read masked; others are not found", func(t *testing.T) {
		secret, err := liveOf(ns, editor, "", "Secret", ns, "guestbook-secret")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := secret["data"].(map[string]any)
		if password, _ := data["password"].(string); password == "" || strings.Trim(password, "+") != "" {
			t.Errorf("the Secret's password is %q, want it masked", password)
		}
		if text, _ := json.Marshal(secret); strings.Contains(string(text), "s3cr3t") || strings.Contains(string(text), "czNjcjN0") {
			t.Errorf("the Secret's value shows: %s", text)
		}
		tree, err := treeOf(t, ns, editor)
		if err != nil {
			t.Fatal(err)
		}
		pod := treeNode(tree.Nodes, "Pod", "")
		live, err := liveOf(ns, editor, "", "Pod", ns, pod.Name)
		if err != nil || live["kind"] != "Pod" {
			t.Fatalf("the Pod of the tree: %v, %v", live, err)
		}
		// Objects the Application neither manages nor owns, in its namespace and in another.
		for _, outside := range [][2]string{{ns, "kube-root-ca.crt"}, {"kube-system", "extension-apiserver-authentication"}} {
			_, err := liveOf(ns, editor, "", "ConfigMap", outside[0], outside[1])
			if err == nil || !strings.Contains(err.Error(), "NotFound") && !strings.Contains(err.Error(), "not found") {
				t.Errorf("ConfigMap %s/%s through the Application: %v, want not found", outside[0], outside[1], err)
			}
		}
	})
	t.Run("a viewer sees the Pods but not the Secret, and may not read it", func(t *testing.T) {
		tree, err := treeOf(t, ns, viewer)
		if err != nil {
			t.Fatal(err)
		}
		if treeNode(tree.Nodes, "Pod", "") == nil {
			t.Errorf("no Pod in the viewer's tree %+v", tree.Nodes)
		}
		secret := treeNode(tree.Nodes, "Secret", "guestbook-secret")
		if secret == nil || secret.UID != "" {
			t.Errorf("the viewer's Secret node %+v, want it from status, without its live object", secret)
		}
		if want := "Secret in namespace " + ns + " not shown: you may not list them"; !contains(tree.Warnings, want) {
			t.Errorf("warnings %q lack %q", tree.Warnings, want)
		}
		_, err = liveOf(ns, viewer, "", "Secret", ns, "guestbook-secret")
		if err == nil || !strings.Contains(err.Error(), "Forbidden") && !strings.Contains(err.Error(), "forbidden") {
			t.Errorf("the viewer read the Secret: %v, want forbidden", err)
		}
	})
	t.Run("a user who may list only Deployments sees no children, and kubectl capstan get says why", func(t *testing.T) {
		tree, err := treeOf(t, ns, narrow)
		if err != nil {
			t.Fatal(err)
		}
		deployment := treeNode(tree.Nodes, "Deployment", "guestbook-ui")
		if deployment == nil || deployment.UID == "" || len(deployment.Children) != 0 {
			t.Errorf("the narrow user's Deployment %+v, want live and without children", deployment)
		}
		for _, kind := range []string{"ReplicaSet", "Pod"} {
			if want := kind + " in namespace " + ns + " not shown: you may not list them"; !contains(tree.Warnings, want) {
				t.Errorf("warnings %q lack %q", tree.Warnings, want)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
		defer cancel()
		out, err := kubectlCommand(ctx, nil, "capstan", "get", "guestbook", "-n", ns, "--as="+narrow).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Warning: Pod in namespace "+ns+" not shown") || !strings.Contains(string(out), "guestbook-ui") {
			t.Errorf("kubectl capstan get as %s: %v\n%s", narrow, err, out)
		}
	})
	t.Run("a user without get applications/resourcetree is refused by RBAC", func(t *testing.T) {
		_, err := treeOf(t, ns, outsider)
		if err == nil || !strings.Contains(err.Error(), `cannot get resource "applications/resourcetree"`) {
			t.Errorf("the outsider's tree: %v, want 403 from RBAC", err)
		}
		_, err = liveOf(ns, outsider, "apps", "Deployment", ns, "guestbook-ui")
		if err == nil || !strings.Contains(err.Error(), `cannot get resource "applications/resource"`) {
			t.Errorf("the outsider's live Deployment: %v, want 403 from RBAC", err)
		}
	})
}

func contains(list []string, want string) bool {
	for _, item := range list {
		if item == want {
			return true
		}
	}
	return false
}
