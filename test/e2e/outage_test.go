package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// extraConfigMap is a second file of the guestbook, removed by a commit made
// while the Git server is down.
const extraConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: guestbook-extra
data:
  kept: "yes"
`

// heldCondition returns the message and lastTransitionTime of the
// ComparisonError that says the source is unreachable, or "" when there is
// none.
func heldCondition(t *testing.T, ns string) (message, since string) {
	t.Helper()
	out := appField(t, ns, `{range .status.conditions[?(@.type=="ComparisonError")]}{.lastTransitionTime}{"\t"}{.message}{"\n"}{end}`)
	for _, line := range strings.Split(out, "\n") {
		stamp, msg, _ := strings.Cut(line, "\t")
		if strings.HasPrefix(msg, "Source unreachable since ") {
			return msg, stamp
		}
	}
	return "", ""
}

func TestGitOutageHoldsTheLastResolvedRevision(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{
		"guestbook/resources.yaml": guestbookResources,
		"guestbook/extra.yaml":     extraConfigMap,
	})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", true), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")
	held := repo.head(t)
	if got := appField(t, ns, "{.status.sync.revision}"); got != held {
		t.Fatalf("status.sync.revision = %q, want %q", got, held)
	}

	// The Git server goes away; meanwhile a commit removes a ConfigMap.
	repo.stop()
	repo.remove(t, []string{"guestbook/extra.yaml"}, "drop the extra config map")
	// A hard refresh lists the refs again: the source cannot be reached.
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=hard", "--overwrite")
	var message, transition string
	eventually(t, compareTimeout, "a condition saying the source is unreachable", func() (bool, error) {
		message, transition = heldCondition(t, ns)
		return message != "", fmt.Errorf("conditions: %s", appField(t, ns, "{.status.conditions}"))
	})
	t.Logf("condition: %s", message)
	if !strings.Contains(message, repo.URL) || !strings.Contains(message, held) || !strings.Contains(message, "unreachable") {
		t.Errorf("the condition names neither the source %s nor the held revision %s: %s", repo.URL, held, message)
	}
	if got := appField(t, ns, "{.status.sync.status}/{.status.health.status}/{.status.sync.revision}"); got != "Synced/Healthy/"+held {
		t.Errorf("sync/health/revision while the source is down = %q, want Synced/Healthy/%s", got, held)
	}

	// Self-heal reverts a change to the held revision.
	kubectl(t, "patch", "configmap", "guestbook-config", "-n", ns, "--type=merge", "-p", `{"data":{"greeting":"drifted"}}`)
	eventually(t, syncTimeout, "self-heal to revert the ConfigMap while Git is down", func() (bool, error) {
		out, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}")
		return err == nil && out == "hello", fmt.Errorf("greeting %q, err %v", out, err)
	})
	waitForAppState(t, ns, "Synced", "Healthy")
	if got := appField(t, ns, "{.status.operationState.syncResult.revision}"); got != held {
		t.Errorf("the self-heal synced revision %q, want the held %s", got, held)
	}

	// Refreshed again, the condition keeps its time; the ConfigMap the
	// unseen commit removed is still there.
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=hard", "--overwrite")
	eventually(t, compareTimeout, "the hard refresh to be done", func() (bool, error) {
		annotation := appField(t, ns, `{.metadata.annotations.argocd\.argoproj\.io/refresh}`)
		return annotation == "", fmt.Errorf("refresh annotation %q", annotation)
	})
	if again, transitionAgain := heldCondition(t, ns); again != message || transitionAgain != transition {
		t.Errorf("the condition changed on refresh:\n  %s %s\n  %s %s", transition, message, transitionAgain, again)
	}
	if _, err := tryKubectl("get", "configmap", "guestbook-extra", "-n", ns); err != nil {
		t.Errorf("the ConfigMap removed by a commit the controller never saw is gone: %v", err)
	}

	// The server is back: the Application follows the new commit by itself
	// (no refresh asked for) and the ConfigMap is pruned then.
	repo.restart(t)
	head := repo.head(t)
	eventually(t, 2*time.Minute+syncTimeout, "the new commit to be synced after the outage", func() (bool, error) {
		got := appField(t, ns, "{.status.operationState.syncResult.revision}")
		return got == head, fmt.Errorf("synced revision %q, want %s", got, head)
	})
	eventually(t, syncTimeout, "the removed ConfigMap to be pruned", func() (bool, error) {
		_, err := tryKubectl("get", "configmap", "guestbook-extra", "-n", ns)
		return err != nil && strings.Contains(err.Error(), "NotFound"), err
	})
	waitForAppState(t, ns, "Synced", "Healthy")
	if message, _ := heldCondition(t, ns); message != "" {
		t.Errorf("the condition stays after the source is back: %s", message)
	}
}

func TestGitOutageWithoutAResolvedRevisionStaysUnknown(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	repo.stop()
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", true), "apply", "-f", "-")
	waitForAppState(t, ns, "Unknown", "Unknown")
	if message, _ := heldCondition(t, ns); message != "" {
		t.Errorf("an Application that never resolved a revision holds one: %s", message)
	}
	if got := appField(t, ns, "{.status.conditions[0].type}"); got != "ComparisonError" {
		t.Errorf("condition %q, want ComparisonError", got)
	}
}

func TestManualSyncToAnUnresolvableRevisionFailsDuringAnOutage(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")
	held := repo.head(t)
	repo.stop()
	kubectl(t, "annotate", "app", "guestbook", "-n", ns, "argocd.argoproj.io/refresh=hard", "--overwrite")
	eventually(t, compareTimeout, "a condition saying the source is unreachable", func() (bool, error) {
		message, _ := heldCondition(t, ns)
		return message != "", fmt.Errorf("conditions: %s", appField(t, ns, "{.status.conditions}"))
	})
	// A sync to main (which may have moved) cannot be resolved: it fails and
	// applies nothing, rather than applying the held commit.
	kubectl(t, "patch", "app", "guestbook", "-n", ns, "--type=merge", "-p", `{"operation":{"sync":{"revision":"main"}}}`)
	eventually(t, syncTimeout, "the sync to fail", func() (bool, error) {
		phase := appField(t, ns, "{.status.operationState.phase}")
		return phase == "Error" || phase == "Failed", fmt.Errorf("phase %q", phase)
	})
	if message := appField(t, ns, "{.status.operationState.message}"); !strings.Contains(message, "unreachable") {
		t.Errorf("the failed sync does not say the source is unreachable: %s", message)
	}
	if _, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns); err == nil {
		t.Errorf("the failed sync applied the held commit %s", held)
	}
}
