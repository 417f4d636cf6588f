package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// withFinalizer adds the resources finalizer to an Application manifest of
// guestbookApplication.
func withFinalizer(app, namespace string) string {
	return strings.Replace(app, "  namespace: "+namespace+"\nspec:",
		"  namespace: "+namespace+"\n  finalizers:\n  - resources-finalizer.argocd.argoproj.io\nspec:", 1)
}

func deletionHookJob(name, hook string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: %s
  annotations:
    argocd.argoproj.io/hook: %s
spec:
  template:
    spec:
      containers:
      - name: run
        image: busybox
      restartPolicy: Never
`, name, hook)
}

func TestDeletionRunsPreDeleteThenDeletesObjectsThenRunsPostDelete(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{
		"guestbook/resources.yaml": guestbookResources,
		"guestbook/hooks.yaml":     deletionHookJob("before-delete", "PreDelete") + "---\n" + deletionHookJob("after-delete", "PostDelete"),
	})
	kubectlWithInput(t, withFinalizer(automatedApplication(ns, repo.URL, "guestbook", false), ns), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	eventually(t, compareTimeout, "the deletion hook finalizers", func() (bool, error) {
		finalizers := appField(t, ns, "{.metadata.finalizers}")
		return strings.Contains(finalizers, "pre-delete-finalizer.argocd.argoproj.io") &&
			strings.Contains(finalizers, "post-delete-finalizer.argocd.argoproj.io"), fmt.Errorf("finalizers %s", finalizers)
	})
	if _, err := tryKubectl("get", "job", "before-delete", "-n", ns); err == nil {
		t.Fatalf("the PreDelete hook ran during a sync")
	}

	kubectl(t, "delete", "app", "guestbook", "-n", ns, "--wait=false")
	eventually(t, syncTimeout, "the Application to be deleted", func() (bool, error) {
		_, err := tryKubectl("get", "app", "guestbook", "-n", ns)
		return err != nil && strings.Contains(err.Error(), "NotFound"), err
	})
	objects := kubectl(t, "get", "deployment,service,configmap", "-n", ns, "-l", "capstan.dev/instance", "-o", "name")
	if strings.TrimSpace(objects) != "" {
		t.Errorf("managed objects left after the deletion: %s", objects)
	}
	// The PreDelete hook ran before the objects were deleted (and was then
	// deleted with them); the PostDelete hook ran after and is kept, as its
	// default delete policy is BeforeHookCreation.
	if _, err := tryKubectl("get", "job", "before-delete", "-n", ns); err == nil {
		t.Errorf("the PreDelete hook is still there; the cascade deletes it")
	}
	status := kubectl(t, "get", "job", "after-delete", "-n", ns, "-o", "jsonpath={.status.succeeded}")
	if status != "1" {
		t.Errorf("PostDelete hook succeeded = %q, want 1", status)
	}
	events := kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.kind=Job,involvedObject.name=before-delete", "-o", "name")
	if strings.TrimSpace(events) == "" {
		t.Errorf("no Events of the PreDelete hook's Job: it never ran")
	}
}

func TestDeletionOfAnApplicationWhoseSourceNoLongerRendersDeletesItsObjects(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, withFinalizer(automatedApplication(ns, repo.URL, "guestbook", false), ns), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	kubectl(t, "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", `{"spec":{"source":{"path":"no-such-path"}}}`)
	eventually(t, compareTimeout, "a ComparisonError for the missing path", func() (bool, error) {
		conditions := appField(t, ns, "{.status.conditions[*].type}")
		return strings.Contains(conditions, "ComparisonError"), fmt.Errorf("conditions %q", conditions)
	})
	kubectl(t, "delete", "app", "guestbook", "-n", ns, "--wait=false")
	eventually(t, syncTimeout, "the Application and its objects to be deleted", func() (bool, error) {
		_, appErr := tryKubectl("get", "app", "guestbook", "-n", ns)
		objects, err := tryKubectl("get", "deployment,service,configmap", "-n", ns, "-l", "capstan.dev/instance", "-o", "name")
		return appErr != nil && err == nil && strings.TrimSpace(objects) == "", fmt.Errorf("application err %v; objects %q", appErr, objects)
	})
}
